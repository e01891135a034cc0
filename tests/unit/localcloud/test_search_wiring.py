"""What the local cloud derives about its search node without starting one: whether the template
declares a search tier, the domain's attributes, the build's stamp, the node's command line."""

from __future__ import annotations

from pathlib import Path

from reelstack_tools.localcloud import search_build
from reelstack_tools.localcloud.cloud import declares_search
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.template import Template

FUNCTION = {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.handler", "CodeUri": "f/"}}


def _template(tmp_path: Path, **extra: dict[str, object]) -> Template:
    return Template.from_document({"Resources": {"Fn": FUNCTION, **extra}}, tmp_path / "template.yaml")


def test_the_node_runs_only_where_the_template_declares_a_search_tier(tmp_path: Path) -> None:
    assert not declares_search(_template(tmp_path))
    assert declares_search(_template(tmp_path, Domain={"Type": "AWS::OpenSearchService::Domain"}))
    assert declares_search(_template(tmp_path, Coll={"Type": "AWS::OpenSearchServerless::Collection"}))


def test_the_domain_and_collection_attributes_point_at_the_node() -> None:
    naming = Naming("reelstack", "http://127.0.0.1:4566", search_address="127.0.0.1:9250")
    domain = naming.attributes("AWS::OpenSearchService::Domain", "search")
    assert domain["DomainEndpoint"] == "127.0.0.1:9250"
    assert domain["Arn"].startswith("arn:aws:es:") and domain["Arn"].endswith(":domain/search")
    collection = naming.attributes("AWS::OpenSearchServerless::Collection", "search")
    assert collection["CollectionEndpoint"] == "http://127.0.0.1:9250"


def test_the_build_stamp_follows_the_pom_and_the_sources(tmp_path: Path) -> None:
    (tmp_path / "src" / "main").mkdir(parents=True)
    (tmp_path / "pom.xml").write_text("<project/>")
    source = tmp_path / "src" / "main" / "Launcher.java"
    source.write_text("class Launcher {}")
    first = search_build.source_hash(tmp_path)
    assert search_build.source_hash(tmp_path) == first
    source.write_text("class Launcher { }")
    assert search_build.source_hash(tmp_path) != first
    assert not search_build.is_built(tmp_path)


def test_the_node_command_caps_the_heap_and_exits_with_its_input(tmp_path: Path) -> None:
    command = search_build.node_command("/usr/bin/java", "512m", tmp_path, 9250, 9350)
    assert command[0] == "/usr/bin/java"
    assert {"-Xms512m", "-Xmx512m"} <= set(command)
    assert command[command.index("-jar") + 1] == str(search_build.JAR)
    arguments = command[command.index("-jar") + 2 :]
    assert arguments[:4] == ["--home", str(tmp_path), "--http-port", "9250"]
    assert "--exit-on-stdin-close" in arguments
