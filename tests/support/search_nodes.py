"""Single-node Elasticsearch/OpenSearch servers for tests and benchmarks, fetched from Maven Central."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Engine = Literal["elasticsearch", "opensearch"]

# Versions whose integ-test-zip Maven Central serves and that run here.  Maven's metadata for the
# Elasticsearch integ-test-zip stops at 8.19.21, but some 9.x patch releases are served all the same
# (9.0.0, 9.1.0 and 9.2.0 are not; 9.1.5 is, and runs on the Temurin 25 JDK).  OpenSearch 2.19.1 is the
# one 2.x release with a matching k-NN plugin on Maven Central (opensearch-knn 2.19.1.0); 2.19.6 is
# newer but has no k-NN.  OpenSearch 3.6.0 (Java 21+, all modules, no k-NN) runs too: see EXTRA_ENGINES.
ENGINES: list[tuple[Engine, str]] = [
    ("elasticsearch", "8.19.21"),
    ("elasticsearch", "9.1.5"),
    ("opensearch", "2.19.1"),
]
EXTRA_ENGINES: list[tuple[Engine, str]] = [("opensearch", "3.6.0")]

ENV_CACHE = "ARGILLA_MAINT_SEARCH_CACHE"
ENV_ENGINES = "ARGILLA_MAINT_SEARCH_ENGINES"
ENV_USER = "ARGILLA_MAINT_SEARCH_USER"
ENV_KEEP = "ARGILLA_MAINT_SEARCH_KEEP"
DEFAULT_CACHE = Path("~/.cache/argilla-maint/search")
SERVICE_USER = "argilla-search"
JDK_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
JDK_25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
DEFAULT_HEAP = "512m"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0

_GROUPS: dict[str, str] = {
    "elasticsearch": "org.elasticsearch.distribution.integ-test-zip",
    "opensearch": "org.opensearch.distribution.integ-test-zip",
}


class SearchNodeError(RuntimeError):
    """A distribution could not be fetched, or a node did not start or stop."""


# ---------------------------------------------------------------------------------------------
# Versions, JDKs, cache


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def parse_engine(spec: str) -> tuple[Engine, str]:
    """Parse ``ENGINE:VERSION`` (e.g. ``opensearch:2.19.1``)."""
    engine, sep, version = spec.strip().partition(":")
    if not sep or engine not in _GROUPS or not version:
        raise ValueError(f"expected elasticsearch:X.Y.Z or opensearch:X.Y.Z, got {spec!r}")
    return engine, version  # type: ignore[return-value]


def engines_from_env() -> list[tuple[Engine, str]]:
    """Engines to test: ``$ARGILLA_MAINT_SEARCH_ENGINES`` (comma-separated ``ENGINE:VERSION``) or ENGINES."""
    raw = os.environ.get(ENV_ENGINES, "").strip()
    if not raw:
        return list(ENGINES)
    return [parse_engine(spec) for spec in raw.split(",") if spec.strip()]


def cache_dir() -> Path:
    """Where zips and unpacked distributions live (``$ARGILLA_MAINT_SEARCH_CACHE`` or the default)."""
    return Path(os.environ.get(ENV_CACHE) or DEFAULT_CACHE).expanduser().resolve()


def java_home_for(engine: Engine, version: str) -> Path:
    """JDK to run a distribution with: Java 21+ for Elasticsearch 9 and OpenSearch 3, else Java 17."""
    major = _version_tuple(version)[0]
    needs_21 = (engine == "elasticsearch" and major >= 9) or (engine == "opensearch" and major >= 3)
    candidates = [JDK_25] if needs_21 else [JDK_17, JDK_25]
    for candidate in candidates:
        if (candidate / "bin" / "java").exists():
            return candidate
    raise SearchNodeError(f"no JDK for {engine} {version}: looked for {', '.join(map(str, candidates))}")


def plugins_for(engine: Engine, version: str) -> list[str]:
    """Maven coordinates (``group:artifact:version``) of optional plugins installed on top, in order.

    OpenSearch 2.x integ-test-zips ship no modules but transport-netty4; lang-painless is rebuilt
    from its jars (Maven has no zip of it) and is a prerequisite of the k-NN plugin zip. analysis-common
    (the ``lowercase`` tokenizer of Argilla 1.x records indices) is rebuilt the same way, as production
    nodes ship it. Elasticsearch publishes no such artifact: its legacy fixtures replace that tokenizer.
    """
    if engine == "opensearch" and _version_tuple(version)[0] == 2:
        return [
            f"org.opensearch.plugin:lang-painless:{version}",
            f"org.opensearch.plugin:reindex-client:{version}",
            f"org.opensearch.plugin:analysis-common:{version}",
            f"org.opensearch.plugin:opensearch-knn:{version}.0",
        ]
    return []


# Module jars that Maven serves without a plugin zip, by artifact: (module name, plugin class,
# security policy).  They are rebuilt into modules/<name> of the distribution.
_ASSEMBLED: dict[str, tuple[str, str, str]] = {
    "analysis-common": (
        "analysis-common",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "grant {\n};\n",
    ),
    "lang-painless": (
        "lang-painless",
        "org.opensearch.painless.PainlessPlugin",
        # Painless compiles scripts to classes in its own class loaders.
        'grant {\n  permission java.lang.RuntimePermission "createClassLoader";\n'
        '  permission java.lang.RuntimePermission "getClassLoader";\n};\n',
    ),
    "reindex-client": (
        "reindex",
        "org.opensearch.index.reindex.ReindexPlugin",
        # Reindex-from-remote opens its own HTTP connections.
        'grant {\n  permission java.net.SocketPermission "*", "connect";\n};\n',
    ),
}

_ASSEMBLY_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.argilla-maint</groupId><artifactId>plugin-assembly</artifactId>
  <version>1</version><packaging>pom</packaging>
  <dependencies><dependency>
    <groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
  </dependency></dependencies>
</project>
"""


def _jar_stem(jar: str) -> str:
    """``lucene-core-9.12.1.jar`` -> ``lucene-core``."""
    return re.sub(r"-\d[^-]*(-[^-]+)?\.jar$", "", jar)


def _assemble_plugin_zip(coordinate: str, home: Path, dest: Path) -> Path:
    """Build a plugin zip from a module's jar and those runtime dependencies not in ``home/lib``."""
    group, artifact, version = coordinate.split(":")
    target = dest / f"{artifact}-{version}-assembled.zip"
    if target.exists():
        return target
    name, classname, policy = _ASSEMBLED[artifact]
    core = {_jar_stem(jar.name) for jar in (home / "lib").glob("*.jar")}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pom.xml").write_text(_ASSEMBLY_POM.format(group=group, artifact=artifact, version=version))
        jars = work / "jars"
        cmd = [
            shutil.which("mvn") or "mvn",
            "-q",
            "-B",
            "-f",
            str(work / "pom.xml"),
            f"{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={jars}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not (jars / f"{artifact}-{version}.jar").exists():
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise SearchNodeError(f"mvn could not resolve {coordinate} and its jars:\n{tail}")
        descriptor = "".join(
            f"{k}={v}\n"
            for k, v in {
                "description": f"{name} module rebuilt from Maven jars",
                "version": version,
                "name": name,
                "classname": classname,
                "java.version": "11",
                "opensearch.version": version,
                "extended.plugins": "",
                "has.native.controller": "false",
            }.items()
        )
        dest.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        with zipfile.ZipFile(partial, "w") as zf:
            for name, text in (("plugin-descriptor.properties", descriptor), ("plugin-security.policy", policy)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o644 << 16
                zf.writestr(info, text)
            for jar in sorted(jars.glob("*.jar")):
                if _jar_stem(jar.name) not in core:
                    zf.write(jar, jar.name)
        partial.rename(target)
    return target


def _mvn_copy(coordinate: str, packaging: str, dest: Path) -> Path:
    """Resolve one artifact from Maven Central into ``dest`` (no-op when already there)."""
    group, artifact, version = coordinate.split(":")
    target = dest / f"{artifact}-{version}.{packaging}"
    if target.exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SearchNodeError("mvn not found: install Maven (apt-get install maven)")
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        mvn,
        "-q",
        "-B",
        f"{MAVEN_DEPENDENCY_PLUGIN}:copy",
        f"-Dartifact={group}:{artifact}:{version}:{packaging}",
        f"-DoutputDirectory={dest}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not target.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise SearchNodeError(f"mvn could not resolve {coordinate}:{packaging}:\n{tail}")
    return target


def _unzip(archive: Path, dest: Path) -> None:
    """Extract keeping the Unix permission bits (zipfile alone drops the executable bits)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o7777
            if mode and not info.is_dir():
                path.chmod(mode)


def _plugin_cli(home: Path, engine: Engine) -> Path:
    return home / "bin" / ("opensearch-plugin" if engine == "opensearch" else "elasticsearch-plugin")


def _install_plugins(home: Path, engine: Engine, version: str, zips_dir: Path) -> list[str]:
    """Install the optional plugins that Maven serves; return the names installed."""
    installed: list[str] = []
    for coordinate in plugins_for(engine, version):
        name = coordinate.split(":")[1]
        try:
            if name in _ASSEMBLED:
                # The plugin CLI refuses system modules ("cannot be installed as a plugin"):
                # unpack it where the distribution keeps its modules instead.
                name = _ASSEMBLED[name][0]
                _unzip(_assemble_plugin_zip(coordinate, home, zips_dir), home / "modules" / name)
                installed.append(name)
                continue
            plugin_zip = _mvn_copy(coordinate, "zip", zips_dir)
        except SearchNodeError as exc:
            print(f"search_nodes: skipping plugin {coordinate}: {exc}", file=sys.stderr)
            continue
        env = {**os.environ, "JAVA_HOME": str(java_home_for(engine, version))}
        cmd = [str(_plugin_cli(home, engine)), "install", "--batch", plugin_zip.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            print(f"search_nodes: plugin {coordinate} did not install:\n{proc.stdout}{proc.stderr}", file=sys.stderr)
            continue
        installed.append(name)
    return installed


def fetch(engine: Engine, version: str) -> Path:
    """Download (once) and unpack (once) a distribution plus its plugins; return its home directory."""
    root = cache_dir()
    # The stamp names what was asked for; with plugins, the tree's name carries its digest, so checkouts
    # asking for different plugin lists share the cache without rebuilding each other's tree.
    stamp = " ".join([engine, version, *plugins_for(engine, version)]) + "\n"
    suffix = f"-{hashlib.sha256(stamp.encode()).hexdigest()[:8]}" if plugins_for(engine, version) else ""
    home = root / "dist" / f"{engine}-{version}{suffix}"
    ready = home / ".ready"
    if ready.exists() and ready.read_text() == stamp:
        return home
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and ready.read_text() == stamp:
            return home
        zips = root / "zips"
        archive = _mvn_copy(f"{_GROUPS[engine]}:{engine}:{version}", "zip", zips)
        staging = Path(tempfile.mkdtemp(prefix=f".{engine}-{version}-", dir=root))
        try:
            _unzip(archive, staging)
            (unpacked,) = staging.iterdir()
            plugins = _install_plugins(unpacked, engine, version, zips)
            (unpacked / ".plugins").write_text("".join(f"{p}\n" for p in plugins))
            (unpacked / ".ready").write_text(stamp)
            shutil.rmtree(home, ignore_errors=True)
            home.parent.mkdir(parents=True, exist_ok=True)
            unpacked.rename(home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return home


def installed_plugins(home: Path) -> list[str]:
    """Plugins that fetch() installed into ``home``."""
    marker = home / ".plugins"
    return marker.read_text().split() if marker.exists() else []


# ---------------------------------------------------------------------------------------------
# Running a node


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service_account() -> tuple[int, int]:
    """uid/gid to run the node as when we are root (both engines refuse to run as root)."""
    name = os.environ.get(ENV_USER, SERVICE_USER)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _demote_prefix() -> list[str]:
    """When root: run the node as the service account (both engines refuse uid 0)."""
    if os.geteuid() != 0:
        return []
    uid, gid = _service_account()
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]


def _link_tree(src: Path, dest: Path) -> None:
    """Mirror ``src`` at ``dest`` with hard links (a plain copy across filesystems)."""

    def link_or_copy(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(src, dest, symlinks=True, copy_function=link_or_copy)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether any process of ``proc``'s process group (its session) is still running."""
    proc.poll()  # reap the leader if it exited, so it no longer counts
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class SearchNode:
    """One single-node cluster on 127.0.0.1; ``start()``/``stop()`` may be called repeatedly."""

    engine: Engine
    version: str
    home: Path
    run_dir: Path
    heap: str = DEFAULT_HEAP
    http_port: int = field(default_factory=free_port)
    transport_port: int = field(default_factory=free_port)
    plugins: list[str] = field(default_factory=list)
    java_home: Path | None = None
    startup_seconds: float | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def _exec_home(self) -> Path:
        """The tree the node runs from: when root, a hard-linked mirror inside the run dir.

        The cache usually sits under /root (mode 0700), which the service account cannot traverse;
        hard links give it a readable view without loosening permissions or copying 100+ MB.
        """
        return self.run_dir / "home" if os.geteuid() == 0 else self.home

    def _prepare(self) -> None:
        if os.geteuid() == 0 and not self._exec_home.exists():
            _link_tree(self.home, self._exec_home)
        config = self.run_dir / "config"
        if not config.exists():
            shutil.copytree(self.home / "config", config)
            settings = {
                "cluster.name": "argilla-maint-test",
                "node.name": "node-1",
                "network.host": "127.0.0.1",
                "discovery.type": "single-node",
                "path.data": str(self.run_dir / "data"),
                "path.logs": str(self.run_dir / "logs"),
                "cluster.routing.allocation.disk.threshold_enabled": False,
                "action.destructive_requires_name": False,
            }
            # jvm.options points GC logs, error files and heap dumps at paths relative to the
            # (read-only) home: move them into the run dir.
            jvm_options = config / "jvm.options"
            if jvm_options.exists():
                text = jvm_options.read_text()
                text = re.sub(r"(?<=[=:])logs/", f"{self.run_dir}/logs/", text)
                text = text.replace("HeapDumpPath=data", f"HeapDumpPath={self.run_dir}/data")
                jvm_options.write_text(text)
            if (self.home / "modules" / "x-pack-security").exists():
                settings["xpack.security.enabled"] = False
            with open(config / f"{self.engine}.yml", "a") as fh:
                fh.write("\n# added by tests/support/search_nodes.py\n")
                for key, value in settings.items():
                    fh.write(f"{key}: {json.dumps(value)}\n")
        for sub in ("data", "logs", "tmp"):
            (self.run_dir / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            uid, gid = _service_account()
            for sub in ("config", "data", "logs", "tmp"):
                _chown_tree(self.run_dir / sub, uid, gid)
            os.chown(self.run_dir, uid, gid)

    def _env(self) -> dict[str, str]:
        prefix = "OPENSEARCH" if self.engine == "opensearch" else "ES"
        java_home = self.java_home or java_home_for(self.engine, self.version)
        env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME" and not k.startswith(("ES_", "OPENSEARCH_"))}
        env.update(
            {
                f"{prefix}_JAVA_HOME": str(java_home),
                f"{prefix}_PATH_CONF": str(self.run_dir / "config"),
                f"{prefix}_TMPDIR": str(self.run_dir / "tmp"),
                f"{prefix}_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}",
            }
        )
        return env

    def start(self, timeout: float = START_TIMEOUT) -> SearchNode:
        """Launch the node and wait until the cluster is yellow or green."""
        if self.is_running():
            return self
        self._prepare()
        cmd = [
            *_demote_prefix(),
            str(self._exec_home / "bin" / self.engine),
            f"-Ehttp.port={self.http_port}",
            f"-Etransport.port={self.transport_port}",
        ]
        began = time.monotonic()
        with open(self.run_dir / "logs" / "console.log", "ab") as console:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.run_dir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _wait_healthy(self, deadline: float) -> None:
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise SearchNodeError(
                    f"{self.engine} {self.version} exited with {self._proc.returncode} before becoming healthy\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=5) as resp:
                    if json.load(resp).get("status") in ("yellow", "green"):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SearchNodeError(f"{self.engine} {self.version} not healthy at {self.url} in time\n{self.log_tail()}")
            time.sleep(0.5)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the node's process group; SIGKILL it if it has not exited within ``timeout``."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        # Wait for the whole group: the launcher may exit before the server JVM it spawned.
        while time.monotonic() < deadline and _group_alive(proc):
            time.sleep(0.1)
        if _group_alive(proc):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def kill(self) -> None:
        """SIGKILL the node at once (a crash, for failure tests)."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self._proc = None

    def log_tail(self, lines: int = 60) -> str:
        """Last lines of the console output and of the server log, for failure messages."""
        out: list[str] = []
        for path in (self.run_dir / "logs" / "console.log", self.run_dir / "logs" / "argilla-maint-test.log"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(out) or f"(no logs under {self.run_dir / 'logs'})"

    def __enter__(self) -> SearchNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_node(engine: Engine, version: str, *, heap: str = DEFAULT_HEAP, run_dir: Path | None = None) -> SearchNode:
    """A fetched but not started node, with a fresh run directory (data, logs, config copy)."""
    home = fetch(engine, version)
    run = run_dir or Path(tempfile.mkdtemp(prefix=f"argilla-maint-{engine}-{version}-"))
    return SearchNode(
        engine=engine,
        version=version,
        home=home,
        run_dir=run,
        heap=heap,
        plugins=installed_plugins(home),
        java_home=java_home_for(engine, version),
    )


@contextlib.contextmanager
def running_node(
    engine: Engine, version: str, *, heap: str = DEFAULT_HEAP, timeout: float = START_TIMEOUT
) -> Iterator[SearchNode]:
    """Start a node, yield it, then stop it and delete its run dir (kept if $ARGILLA_MAINT_SEARCH_KEEP)."""
    node = make_node(engine, version, heap=heap)
    try:
        node.start(timeout)
        yield node
    finally:
        node.stop()
        if not os.environ.get(ENV_KEEP):
            shutil.rmtree(node.run_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Command line: python -m tests.support.search_nodes {fetch,run}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.search_nodes", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download and unpack distributions into the cache")
    p_fetch.add_argument("engines", nargs="*", metavar="ENGINE:VERSION")
    p_run = sub.add_parser("run", help="run one node in the foreground until interrupted")
    p_run.add_argument("engine", metavar="ENGINE:VERSION")
    p_run.add_argument("--heap", default=DEFAULT_HEAP)
    args = parser.parse_args(argv)

    if args.command == "fetch":
        specs = [parse_engine(s) for s in args.engines] or engines_from_env()
        for engine, version in specs:
            home = fetch(engine, version)
            plugins = ",".join(installed_plugins(home)) or "-"
            print(f"{engine}:{version}\t{home}\tplugins={plugins}")
        return 0

    engine, version = parse_engine(args.engine)
    stop = False

    def _on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with running_node(engine, version, heap=args.heap) as node:
        print(node.url, flush=True)
        print(
            f"# {engine} {version} pid={node.pid} run_dir={node.run_dir} started in {node.startup_seconds:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        while not stop and node.is_running():
            time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
