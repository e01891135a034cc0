"""Builds the local OpenSearch node (`infra/search-node/`, a Maven project) once, and again only when
its pom or its launcher's sources change.

The build is `mvn -q -B package` (the first one downloads OpenSearch's jars into ~/.m2, ~90 MB; later
ones are offline-friendly). It lays out `target/search-node.jar` and `target/lib/`, then starts the
node once to record the classes it loads in a class-data-sharing archive (`target/search-node.jsa`,
~75 MB: later starts map it instead of loading and verifying ~15,000 classes, about half the start
time on two cores; a JVM that cannot use it starts without it), then writes a stamp named by the
hash of the pom and the sources; `ensure_built()` does nothing while that stamp
is there. A lock file keeps two processes (a test session and `reelstack up`) from building at once.
`python -m reelstack_tools.localcloud.search_build` is the Makefile's `search-node` target.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelstack_tools.localcloud.child_process import free_port
from reelstack_tools.localcloud.local_env import INFRA_DIR

NODE_DIR = INFRA_DIR / "search-node"
TARGET_DIR = NODE_DIR / "target"
JAR = TARGET_DIR / "search-node.jar"
CLASS_ARCHIVE = TARGET_DIR / "search-node.jsa"
BUILD_TIMEOUT_S = 900.0
ARCHIVE_TIMEOUT_S = 180.0


class SearchNodeUnavailable(RuntimeError):
    """The search node cannot be built or started (no Java or Maven, a failed build, no answer)."""


def source_hash(node_dir: Path = NODE_DIR) -> str:
    """The hash of what the build reads: the pom and every file under src/."""
    digest = hashlib.sha1()
    sources = [node_dir / "pom.xml", *sorted(p for p in (node_dir / "src").rglob("*") if p.is_file())]
    for path in sources:
        digest.update(path.relative_to(node_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def stamp_path(node_dir: Path = NODE_DIR) -> Path:
    return node_dir / "target" / f".built-{source_hash(node_dir)}"


def is_built(node_dir: Path = NODE_DIR) -> bool:
    return stamp_path(node_dir).exists() and (node_dir / "target" / "search-node.jar").exists()


def tool(name: str) -> str:
    """The path of `java` or `mvn`, or SearchNodeUnavailable saying how to get it."""
    found = shutil.which(name)
    if found is None:
        raise SearchNodeUnavailable(f"{name} is not installed (make sysdeps installs it)")
    return found


def jvm_options(heap: str, tmp_dir: Path) -> list[str]:
    """The JVM's options (as the distribution's jvm.options, for what applies to a classpath node)."""
    options = [f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-Dfile.encoding=UTF-8"]
    options += ["-Dio.netty.noUnsafe=true", "-Dio.netty.noKeySetOptimization=true"]
    options += ["-Dio.netty.recycler.maxCapacityPerThread=0", f"-Djava.io.tmpdir={tmp_dir}"]
    return options


def node_command(java: str, heap: str, home: Path, http_port: int, transport_port: int) -> list[str]:
    """The command that starts the node (mapping the class archive when the build made one)."""
    options = jvm_options(heap, home / "tmp")
    if CLASS_ARCHIVE.exists():
        options.append(f"-XX:SharedArchiveFile={CLASS_ARCHIVE}")
    arguments = ["--home", str(home), "--http-port", str(http_port)]
    arguments += ["--transport-port", str(transport_port), "--exit-on-stdin-close"]
    return [java, *options, "-jar", str(JAR), *arguments]


def archive_classes(java: str, timeout: float = ARCHIVE_TIMEOUT_S) -> bool:
    """Start the node once in a scratch folder, stop it, and keep the classes it loaded in
    CLASS_ARCHIVE (written by the JVM as it exits). False, and no archive, when that fails."""
    CLASS_ARCHIVE.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="search-node-archive-") as scratch:
        home = Path(scratch)
        (home / "tmp").mkdir()
        command = node_command(java, "512m", home, free_port(), free_port())
        command.insert(1, f"-XX:ArchiveClassesAtExit={CLASS_ARCHIVE}")
        log_path = home / "archive.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=log_file, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if b"started http://" in log_path.read_bytes():
                break
            time.sleep(0.2)
        if process.poll() is None:
            process.terminate()  # the node closes, then the JVM writes the archive
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if process.returncode not in (0, 143) or not CLASS_ARCHIVE.exists():
        CLASS_ARCHIVE.unlink(missing_ok=True)
        return False
    return True


def build(node_dir: Path = NODE_DIR, timeout: float = BUILD_TIMEOUT_S) -> float:
    """Run the Maven build now; its duration in seconds. target/lib is laid anew (no stale jars)."""
    mvn = tool("mvn")
    java = tool("java")
    shutil.rmtree(node_dir / "target" / "lib", ignore_errors=True)
    for old in (node_dir / "target").glob(".built-*"):
        old.unlink()
    started = time.monotonic()
    result = subprocess.run(
        [mvn, "-q", "-B", "package"],
        cwd=node_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        raise SearchNodeUnavailable(f"mvn package failed in {node_dir} ({result.returncode}):\n{tail}")
    if node_dir == NODE_DIR:
        archive_classes(java)
    stamp_path(node_dir).touch()
    return time.monotonic() - started


def ensure_built(node_dir: Path = NODE_DIR) -> bool:
    """Build unless the stamp for the current sources is there; True when it built."""
    if is_built(node_dir):
        return False
    (node_dir / "target").mkdir(exist_ok=True)
    with (node_dir / "target" / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building: wait, then look again
        if is_built(node_dir):
            return False
        build(node_dir)
        return True


def main() -> int:
    try:
        started = time.monotonic()
        if ensure_built():
            sys.stdout.write(f"search node built in {time.monotonic() - started:.1f} s ({JAR})\n")
    except SearchNodeUnavailable as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
