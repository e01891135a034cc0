"""The search tier in the template: an OpenSearch domain in the VPC, encrypted, HTTPS only, reachable
only by the roles of the functions that use it, each allowed only the HTTP methods it needs; and the
bootstrap custom resource that creates the indices."""

from __future__ import annotations

from typing import Any

from template_support import resources_of_type

DOMAIN = "SearchDomain"
DOMAIN_ARN_SUB = (
    "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/reelstack-${Stage}-search/*"
)
BULK_ARN_SUB = (
    "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/reelstack-${Stage}-search/videos/_bulk"
)
PROFILES_SUB = (
    "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/reelstack-${Stage}-search/profiles/"
)
# Each writer POSTs to one endpoint only: the search indexer and the count refresh to the videos
# alias's _bulk; the nightly profile run's load to the profiles alias's _bulk and its switch to
# _delete_by_query there (the older versions' profiles).
WRITER_ENDPOINTS = {
    "SearchIndexerFunction": BULK_ARN_SUB,
    "SearchCountsFunction": BULK_ARN_SUB,
    "ProfileLoadFunction": PROFILES_SUB + "_bulk",
    "ProfileSwitchFunction": PROFILES_SUB + "_delete_by_query",
}
WRITERS = tuple(WRITER_ENDPOINTS)
WRITER_ROLES = tuple(f"{name}Role" for name in WRITERS)


def _domain(template: dict[str, Any]) -> dict[str, Any]:
    domains = resources_of_type(template, "AWS::OpenSearchService::Domain")
    assert list(domains) == [DOMAIN]
    return dict(domains[DOMAIN]["Properties"])


def _search_statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each function's policy statements that name an es: action."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                if not isinstance(statement, dict):
                    continue
                action = statement.get("Action", [])
                actions = action if isinstance(action, list) else [action]
                if any(str(action).startswith("es:") for action in actions):
                    found.setdefault(name, []).append(statement)
    return found


def test_the_domain_is_encrypted_and_https_only(template: dict[str, Any]) -> None:
    # GIVEN the search domain WHEN its security options are read
    domain = _domain(template)
    # THEN data is encrypted at rest and between nodes, and clients must use TLS 1.2+
    assert domain["EncryptionAtRestOptions"] == {"Enabled": True}
    assert domain["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert domain["DomainEndpointOptions"]["TLSSecurityPolicy"].startswith("Policy-Min-TLS-1-2")
    assert domain["EngineVersion"] == "OpenSearch_2.19"


def test_the_domain_lives_in_the_vpc_with_small_parameterised_sizes(template: dict[str, Any]) -> None:
    # GIVEN the domain WHEN its network and size are read
    domain = _domain(template)
    # THEN it has a VPC endpoint only (subnets and the stack's security groups), no public endpoint
    assert domain["VPCOptions"]["SecurityGroupIds"] == {"Ref": "VpcSecurityGroupIds"}
    assert "Fn::If" in domain["VPCOptions"]["SubnetIds"]
    # AND its instance type, count and volume are parameters with small defaults
    cluster = domain["ClusterConfig"]
    assert cluster["InstanceType"] == {"Ref": "SearchInstanceType"}
    assert cluster["InstanceCount"] == {"Ref": "SearchInstanceCount"}
    assert domain["EBSOptions"]["VolumeSize"] == {"Ref": "SearchVolumeGiB"}
    parameters = template["Parameters"]
    assert parameters["SearchInstanceType"]["Default"] == "t3.small.search"
    assert parameters["SearchInstanceCount"]["Default"] == 1
    assert parameters["SearchVolumeGiB"]["Default"] == 10


def test_the_access_policy_names_only_the_functions_roles(template: dict[str, Any]) -> None:
    # GIVEN the domain's resource policy
    statements = _domain(template)["AccessPolicies"]["Statement"]
    # THEN every statement allows one function's role, never "*", on this domain only
    principals = {statement["Principal"]["AWS"]["Fn::GetAtt"][0] for statement in statements}
    assert principals == {"ApiFunctionRole", "SearchBootstrapFunctionRole", *WRITER_ROLES}
    for statement in statements:
        writer = statement["Principal"]["AWS"]["Fn::GetAtt"][0] in WRITER_ROLES
        assert statement["Effect"] == "Allow"
        role = statement["Principal"]["AWS"]["Fn::GetAtt"][0]
        expected = WRITER_ENDPOINTS[role.removesuffix("Role")] if writer else DOMAIN_ARN_SUB
        assert statement["Resource"] == {"Fn::Sub": expected}
        assert all(action.startswith("es:ESHttp") for action in statement["Action"])
        # AND the writers may only POST to their one endpoint
        assert not writer or statement["Action"] == ["es:ESHttpPost"]


def test_only_the_functions_that_use_search_may_call_it_and_only_as_they_need(
    template: dict[str, Any],
) -> None:
    # GIVEN every function's es: statements
    statements = _search_statements(template)
    # THEN only the API (reads) and the bootstrap (creates indices) have any, on the domain only
    assert set(statements) == {"ApiFunction", "SearchBootstrapFunction", *WRITERS}
    actions = {name: {a for s in found for a in s["Action"]} for name, found in statements.items()}
    assert actions["ApiFunction"] == {"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"}
    assert actions["SearchBootstrapFunction"] == {
        "es:ESHttpGet",
        "es:ESHttpHead",
        "es:ESHttpPost",
        "es:ESHttpPut",
    }
    for name in WRITERS:
        assert actions[name] == {"es:ESHttpPost"}
    for name, found in statements.items():
        arn = WRITER_ENDPOINTS.get(name, DOMAIN_ARN_SUB)
        assert {str(s["Resource"]) for s in found} == {str({"Fn::Sub": arn})}
    # AND each reaches the domain from the VPC over HTTPS
    functions = resources_of_type(template, "AWS::Serverless::Function")
    for name in statements:
        environment = functions[name]["Properties"]["Environment"]["Variables"]
        assert environment["SEARCH_ENDPOINT"] == {"Fn::Sub": "https://${SearchDomain.DomainEndpoint}"}
        assert "VpcConfig" in functions[name]["Properties"]


def test_the_indices_are_created_by_a_custom_resource_at_deploy(template: dict[str, Any]) -> None:
    # GIVEN the template's custom resources
    custom = {name: r for name, r in template["Resources"].items() if r["Type"].startswith("Custom::")}
    # THEN SearchIndices is served by the bootstrap function and names the index versions
    assert custom["SearchIndices"]["Properties"]["ServiceToken"] == {
        "Fn::GetAtt": ["SearchBootstrapFunction", "Arn"]
    }
    assert custom["SearchIndices"]["Properties"]["IndexVersions"] == "videos-v1,profiles-v1"
