#!/usr/bin/env python3
"""Regenerate transforms/packages.toml.

The Debian runtime-library tables are derived from Debian's own package
metadata (`apt-cache depends` / `apt-cache show`); the build_only lists and the
Alpine section are curated by hand and live as data in this file. Ubuntu
releases (whose images msb reads as the Debian family) get the same tables
from Ubuntu's metadata when `--ubuntu-mirror` and `--ubuntu-keyring` are given.

Besides the `-dev` -> runtime-library tables, each release gets a
`toolchain_runtime` table: a language toolchain installed with apt on a plain
distribution image (`openjdk-17-jdk`, `python3-dev`, `ruby-dev`, `php-dev`)
-> the packages that run what it built. msb uses it only when the final stage
starts from the builder's own plain image (a "same-base" runtime).

Usage (run by hand on a Debian machine with apt; never run by tests or CI):

    python3 scripts/gen-packages.py                   # writes transforms/packages.toml
    python3 scripts/gen-packages.py --output -        # print to stdout instead
    python3 scripts/gen-packages.py --releases bookworm bullseye
    python3 scripts/gen-packages.py --ubuntu-mirror URL \
        --ubuntu-keyring /usr/share/keyrings/ubuntu-archive-keyring.gpg

Every release gets its own throw-away apt state/config directory whose
sources are copied from THIS machine's apt configuration (/etc/apt/sources.list,
/etc/apt/sources.list.d/*.list and *.sources) with the suite codename swapped,
so no mirror host is written down anywhere. No root needed; the system's apt
state is not touched. A release that cannot be fetched is reported on stderr
and, if the previous output file had a table for it, that table is kept.

How a -dev package is resolved to runtime packages:
  * follow `apt-cache depends` (Depends only) from the -dev package;
  * keep the dependencies that come from the SAME source package
    (`Source:` of `apt-cache show`; no Source field = its own source):
      - a same-source -dev package (name ends in -dev, or Section libdevel)
        is followed recursively (libjpeg-dev -> libjpeg62-turbo-dev);
      - tools/docs (Section utils/devel/libdevel/doc/debug or a name ending
        in -bin/-tools/-utils/-helpers/-doc/-dbg) are dropped;
      - everything else is a runtime library;
  * alternatives ("a | b") and virtual packages: the first real package wins;
  * a "defaults" package that has nothing from its own source
    (default-libmysqlclient-dev -> libmariadb-dev-compat, libboost-dev ->
    libboost1.74-dev) is resolved through the -dev packages it depends on,
    one hop only, with the same rule applied to each of them;
  * header-only packages therefore map to [] ; -dev packages that do not
    exist in a release are left out of that release's table.

How a toolchain package is resolved to its runtime (toolchain_runtime):
  * a JDK (`openjdk-N-jdk`, `openjdk-N-jdk-headless`, `default-jdk`,
    `default-jdk-headless`) -> the headless JRE of the SAME source package
    (`openjdk-N-jre-headless`, `default-jre-headless`), which must exist and
    be among the JDK's own dependencies (so it is the JRE the JDK ran on);
  * any other toolchain package (`python3-dev`, `python3.11-dev`,
    `ruby-dev`, `ruby-full`, `php-dev`) -> the same rule as a -dev package:
    its same-source runtime dependencies (`python3-dev` -> python3,
    `php-dev` -> php8.2-cli, php8.2-common);
  * the versioned names are found per release with `apt-cache pkgnames`.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# ---------------------------------------------------------------------------
# Curated input data
# ---------------------------------------------------------------------------

# Releases to generate, newest first. Ones the mirror no longer serves are
# reported and skipped.
RELEASES = ["trixie", "bookworm", "bullseye", "buster", "stretch", "jessie"]

# Ubuntu releases (only with --ubuntu-mirror and --ubuntu-keyring; else the
# tables of the previous output are kept). Components: main and universe.
UBUNTU_RELEASES = ["noble", "jammy", "focal"]
UBUNTU_COMPONENTS = ["main", "universe"]

# Toolchain packages of a plain distribution image, resolved per release
# into toolchain_runtime (see the module doc). Fixed names, and patterns
# matched against `apt-cache pkgnames` for the versioned ones.
TOOLCHAIN_PACKAGES = [
    "python3-dev", "ruby-dev", "ruby-full", "php-dev",
    "default-jdk", "default-jdk-headless",
]
TOOLCHAIN_PATTERNS = [
    r"^python3\.\d+-dev$", r"^libpython3\.\d+-dev$", r"^ruby\d\.\d+-dev$",
    r"^php\d\.\d+-dev$", r"^openjdk-\d+-jdk$", r"^openjdk-\d+-jdk-headless$",
]
# A JDK's runtime is its headless JRE: (JDK name pattern, JRE name).
JDK_RUNTIME = [
    (r"^(openjdk-\d+)-jdk(-headless)?$", r"\1-jre-headless"),
    (r"^default-jdk(-headless)?$", "default-jre-headless"),
]

# Alpine toolchains: curated by hand (the Alpine mirrors are not read), for
# Alpine 3.18-3.20 (aports: community/openjdk{8,11,17,21} split their JREs
# into -jre-headless; main/python3, main/ruby, main/php8x keep the
# interpreter in the package without -dev).
ALPINE_TOOLCHAIN_RUNTIME = {
    "openjdk8": ["openjdk8-jre-base"],
    "openjdk11": ["openjdk11-jre-headless"],
    "openjdk11-jdk": ["openjdk11-jre-headless"],
    "openjdk17": ["openjdk17-jre-headless"],
    "openjdk17-jdk": ["openjdk17-jre-headless"],
    "openjdk21": ["openjdk21-jre-headless"],
    "openjdk21-jdk": ["openjdk21-jre-headless"],
    "python3-dev": ["python3"],
    "ruby-dev": ["ruby"],
    "ruby-full": ["ruby"],
    "php81-dev": ["php81"],
    "php82-dev": ["php82"],
    "php83-dev": ["php83"],
}

# Commonly used -dev packages (Debian names). Missing ones are skipped per release.
DEV_PACKAGES = [
    "default-libmysqlclient-dev", "libaio-dev", "libavif-dev", "libblas-dev",
    "libboost-dev", "libbrotli-dev", "libbz2-dev", "libcairo2-dev",
    "libcap-dev", "libcups2-dev", "libcurl4-gnutls-dev", "libcurl4-openssl-dev",
    "libdbus-1-dev", "libevent-dev", "libexpat1-dev", "libffi-dev",
    "freetds-dev", "libfreetype-dev", "libfreetype6-dev", "libfribidi-dev", "libgdal-dev",
    "libgdbm-dev", "libgeos-dev", "libgif-dev", "libgirepository1.0-dev", "libglib2.0-dev",
    "libgmp-dev", "libgnutls28-dev", "libharfbuzz-dev", "libhdf5-dev",
    "libheif-dev", "libicu-dev", "libjpeg-dev", "libjpeg62-turbo-dev",
    "libkrb5-dev", "liblapack-dev", "liblcms2-dev", "libldap-dev",
    "libldap2-dev", "libleveldb-dev", "liblzma-dev", "libmagic-dev", "libmagickwand-dev",
    "libmariadb-dev", "libmariadb-dev-compat", "libmemcached-dev",
    "libncurses-dev", "libncurses5-dev", "libonig-dev", "libopenblas-dev",
    "libopenjp2-7-dev", "libpango1.0-dev", "libpcre2-dev", "libpcre3-dev",
    "libpng-dev", "libpoppler-cpp-dev", "libpq-dev", "libproj-dev",
    "librdkafka-dev", "libreadline-dev", "librsvg2-dev", "libsasl2-dev", "libsnappy-dev",
    "libsodium-dev", "libsqlite3-dev", "libssh2-1-dev", "libssl-dev",
    "libsystemd-dev", "libtiff-dev", "libtiff5-dev", "libuv1-dev",
    "libvips-dev", "libwebp-dev", "libxml2-dev", "libxmlsec1-dev",
    "libxslt1-dev", "libyaml-dev", "libzip-dev", "libzmq3-dev", "libzstd-dev",
    "unixodbc-dev", "uuid-dev", "zlib1g-dev",
]

# Installed only to build: never carried to the runtime stage.
DEBIAN_BUILD_ONLY = [
    "build-essential", "gcc", "g++", "cpp", "gfortran", "clang", "make",
    "cmake", "ninja-build", "meson", "scons", "pkg-config", "pkgconf",
    "autoconf", "automake", "autotools-dev", "libtool", "libtool-bin", "m4",
    "patch", "bison", "flex", "gperf", "nasm", "yasm", "swig", "binutils",
    "ccache", "dpkg-dev", "git", "mercurial", "subversion", "python3-dev",
    "libpython3-dev", "python-dev-is-python3", "cython3", "libc6-dev",
    "linux-libc-dev", "linux-headers-amd64", "linux-headers-arm64", "rustc",
    "cargo", "golang-go",
    # Rust builds: musl targets, bindgen, protobuf code generation, linkers.
    "rustup", "musl-tools", "musl-dev", "libclang-dev", "llvm", "lld", "mold",
    "protobuf-compiler", "upx-ucl",
]

# Alpine: curated by hand (not generated), checked against Alpine 3.18-3.20.
ALPINE_BUILD_ONLY = [
    "build-base", "alpine-sdk", "abuild", "gcc", "g++", "gfortran", "clang",
    "musl-dev", "libc-dev", "fortify-headers", "binutils", "make", "cmake",
    "samurai", "meson", "pkgconf", "pkgconfig", "autoconf", "automake",
    "libtool", "m4", "patch", "bison", "flex", "nasm", "swig", "git",
    "mercurial", "linux-headers", "python3-dev", "rust", "cargo", "go",
    # Rust builds: static OpenSSL for musl, protobuf code generation, linkers.
    "rustup", "openssl-libs-static", "protoc", "protobuf-dev", "clang-dev", "llvm", "lld", "mold",
    # Compresses the binary the build made.
    "upx",
]

ALPINE_RUNTIME_LIBS = {
    "bzip2-dev": ["libbz2"],
    "cairo-dev": ["cairo"],
    "curl-dev": ["libcurl"],
    "cyrus-sasl-dev": ["libsasl"],
    "file-dev": ["libmagic"],
    "freetds-dev": ["freetds"],
    "freetype-dev": ["freetype"],
    "fribidi-dev": ["fribidi"],
    "gdal-dev": ["gdal"],
    "geos-dev": ["geos"],
    "giflib-dev": ["giflib"],
    "glib-dev": ["glib"],
    "gmp-dev": ["gmp"],
    "gobject-introspection-dev": ["gobject-introspection"],
    "harfbuzz-dev": ["harfbuzz"],
    "hdf5-dev": ["hdf5"],
    "icu-dev": ["icu-libs"],
    "imagemagick-dev": ["imagemagick-libs"],
    "jpeg-dev": ["libjpeg-turbo"],
    "krb5-dev": ["krb5-libs"],
    "lapack-dev": ["lapack"],
    "lcms2-dev": ["lcms2"],
    "leveldb-dev": ["leveldb"],
    "libaio-dev": ["libaio"],
    "libevent-dev": ["libevent"],
    "libffi-dev": ["libffi"],
    "libjpeg-turbo-dev": ["libjpeg-turbo"],
    "libpng-dev": ["libpng"],
    "libpq-dev": ["libpq"],
    "librdkafka-dev": ["librdkafka"],
    "librsvg-dev": ["librsvg"],
    "libsodium-dev": ["libsodium"],
    "libuv-dev": ["libuv"],
    "libwebp-dev": ["libwebp"],
    "libxml2-dev": ["libxml2"],
    "libxslt-dev": ["libxslt"],
    "libzip-dev": ["libzip"],
    "mariadb-connector-c-dev": ["mariadb-connector-c"],
    "mariadb-dev": ["mariadb-connector-c"],
    "ncurses-dev": ["ncurses-libs"],
    "oniguruma-dev": ["oniguruma"],
    "openblas-dev": ["openblas"],
    "openjpeg-dev": ["openjpeg"],
    "openldap-dev": ["libldap"],
    "openssl-dev": ["libssl3", "libcrypto3"],
    "pango-dev": ["pango"],
    "pcre-dev": ["pcre"],
    "pcre2-dev": ["pcre2"],
    "postgresql-dev": ["libpq"],
    "readline-dev": ["readline"],
    "snappy-dev": ["snappy"],
    "sqlite-dev": ["sqlite-libs"],
    "tiff-dev": ["tiff"],
    "unixodbc-dev": ["unixodbc"],
    "xz-dev": ["xz-libs"],
    "yaml-dev": ["yaml"],
    "zlib-dev": ["zlib"],
    "zstd-dev": ["zstd-libs"],
}

# Releases whose metadata the mirrors no longer serve (moved to
# archive.debian.org): curated by hand, only pairs whose names are certain
# for that release. Used when the release cannot be fetched.
CURATED_RELEASES = {
    "buster": {
        "default-libmysqlclient-dev": ["libmariadb3"],
        "freetds-dev": ["libct4", "libsybdb5"],
        "libbz2-dev": ["libbz2-1.0"],
        "libcurl4-gnutls-dev": ["libcurl3-gnutls"],
        "libcurl4-openssl-dev": ["libcurl4"],
        "libexpat1-dev": ["libexpat1"],
        "libffi-dev": ["libffi6"],
        "libfreetype6-dev": ["libfreetype6"],
        "libgmp-dev": ["libgmp10", "libgmpxx4ldbl"],
        "libicu-dev": ["libicu63"],
        "libjpeg-dev": ["libjpeg62-turbo"],
        "libjpeg62-turbo-dev": ["libjpeg62-turbo"],
        "liblcms2-dev": ["liblcms2-2"],
        "libldap2-dev": ["libldap-2.4-2"],
        "liblzma-dev": ["liblzma5"],
        "libmagic-dev": ["libmagic1"],
        "libmariadb-dev": ["libmariadb3"],
        "libmariadb-dev-compat": ["libmariadb3"],
        "libopenjp2-7-dev": ["libopenjp2-7"],
        "libpng-dev": ["libpng16-16"],
        "libpq-dev": ["libpq5"],
        "libreadline-dev": ["libreadline7"],
        "libsasl2-dev": ["libsasl2-2"],
        "libsnappy-dev": ["libsnappy1v5"],
        "libsodium-dev": ["libsodium23"],
        "libsqlite3-dev": ["libsqlite3-0"],
        "libssh2-1-dev": ["libssh2-1"],
        "libssl-dev": ["libssl1.1"],
        "libsystemd-dev": ["libsystemd0"],
        "libuv1-dev": ["libuv1"],
        "libxml2-dev": ["libxml2"],
        "libxslt1-dev": ["libxslt1.1"],
        "libyaml-dev": ["libyaml-0-2"],
        "libzmq3-dev": ["libzmq5"],
        "libzstd-dev": ["libzstd1"],
        "uuid-dev": ["libuuid1"],
        "zlib1g-dev": ["zlib1g"],
    },
    # stretch (Debian 9) and jessie (Debian 8): archive.debian.org only, which
    # this script's apt sources do not name. Curated from the releases'
    # package lists (packages.debian.org/stretch, /jessie): the runtime
    # library each -dev package's Depends names, for the pairs whose names
    # are certain (OpenSSL 1.1 and 1.0.0, ICU 57 and 52, libcurl3,
    # MariaDB's libmariadbclient18 on stretch, MySQL 5.5's libmysqlclient18
    # on jessie).
    "stretch": {
        "default-libmysqlclient-dev": ["libmariadbclient18"],
        "freetds-dev": ["libct4", "libsybdb5"],
        "libbz2-dev": ["libbz2-1.0"],
        "libcurl4-gnutls-dev": ["libcurl3-gnutls"],
        "libcurl4-openssl-dev": ["libcurl3"],
        "libexpat1-dev": ["libexpat1"],
        "libffi-dev": ["libffi6"],
        "libfreetype6-dev": ["libfreetype6"],
        "libgdbm-dev": ["libgdbm3"],
        "libgmp-dev": ["libgmp10", "libgmpxx4ldbl"],
        "libicu-dev": ["libicu57"],
        "libjpeg-dev": ["libjpeg62-turbo"],
        "libjpeg62-turbo-dev": ["libjpeg62-turbo"],
        "liblcms2-dev": ["liblcms2-2"],
        "libldap2-dev": ["libldap-2.4-2"],
        "liblzma-dev": ["liblzma5"],
        "libmagic-dev": ["libmagic1"],
        "libmariadbclient-dev": ["libmariadbclient18"],
        "libopenjp2-7-dev": ["libopenjp2-7"],
        "libpng-dev": ["libpng16-16"],
        "libpq-dev": ["libpq5"],
        "libreadline-dev": ["libreadline7"],
        "libsasl2-dev": ["libsasl2-2"],
        "libsnappy-dev": ["libsnappy1v5"],
        "libsodium-dev": ["libsodium18"],
        "libsqlite3-dev": ["libsqlite3-0"],
        "libssh2-1-dev": ["libssh2-1"],
        "libssl-dev": ["libssl1.1"],
        "libssl1.0-dev": ["libssl1.0.2"],
        "libsystemd-dev": ["libsystemd0"],
        "libuv1-dev": ["libuv1"],
        "libxml2-dev": ["libxml2"],
        "libxslt1-dev": ["libxslt1.1"],
        "libyaml-dev": ["libyaml-0-2"],
        "libzmq3-dev": ["libzmq5"],
        "uuid-dev": ["libuuid1"],
        "zlib1g-dev": ["zlib1g"],
    },
    "jessie": {
        "freetds-dev": ["libct4", "libsybdb5"],
        "libbz2-dev": ["libbz2-1.0"],
        "libcurl4-gnutls-dev": ["libcurl3-gnutls"],
        "libcurl4-openssl-dev": ["libcurl3"],
        "libexpat1-dev": ["libexpat1"],
        "libffi-dev": ["libffi6"],
        "libfreetype6-dev": ["libfreetype6"],
        "libgdbm-dev": ["libgdbm3"],
        "libgmp-dev": ["libgmp10", "libgmpxx4ldbl"],
        "libicu-dev": ["libicu52"],
        "libjpeg-dev": ["libjpeg62-turbo"],
        "libjpeg62-turbo-dev": ["libjpeg62-turbo"],
        "libldap2-dev": ["libldap-2.4-2"],
        "liblzma-dev": ["liblzma5"],
        "libmagic-dev": ["libmagic1"],
        "libmysqlclient-dev": ["libmysqlclient18"],
        "libpng12-dev": ["libpng12-0"],
        "libpq-dev": ["libpq5"],
        "libreadline-dev": ["libreadline6"],
        "libsasl2-dev": ["libsasl2-2"],
        "libsqlite3-dev": ["libsqlite3-0"],
        "libssl-dev": ["libssl1.0.0"],
        "libxml2-dev": ["libxml2"],
        "libxslt1-dev": ["libxslt1.1"],
        "libyaml-dev": ["libyaml-0-2"],
        "uuid-dev": ["libuuid1"],
        "zlib1g-dev": ["zlib1g"],
    },
}

# Same-source dependencies that are build tools or docs, not runtime libraries.
NOT_RUNTIME_SECTIONS = {"devel", "libdevel", "utils", "doc", "debug"}
NOT_RUNTIME_SUFFIXES = ("-bin", "-tools", "-utils", "-helpers", "-doc", "-dbg")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "transforms" / "packages.toml"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# This machine's apt sources -> a private apt root per release
# ---------------------------------------------------------------------------

def host_codename():
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    sys.exit("cannot read VERSION_CODENAME from /etc/os-release")


def host_sources():
    """Yield (uris, suites, components, signed_by) for every `deb` entry."""
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if not os.path.exists(path):
            continue
        for line in Path(path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            opts = dict(re.findall(r"([\w-]+)=(\S+)", line[line.find("[") + 1:line.find("]")])) if "[" in line else {}
            words = re.sub(r"\[.*?\]", "", line).split()
            if len(words) >= 3 and words[0] == "deb":
                yield [words[1]], [words[2]], words[3:], opts.get("signed-by")
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", Path(path).read_text()):
            fields = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
                signed = fields.get("signed-by")
                yield fields.get("uris", []), fields.get("suites", []), fields.get("components", []), (signed[0] if signed else None)


def sources_for(release, codename):
    """deb822 sources for `release`: the host's entries for its own codename,
    with the codename swapped (bookworm-updates -> bullseye-updates, ...)."""
    stanzas = []
    for uris, suites, comps, signed_by in host_sources():
        swapped = []
        for suite in suites:
            base, sep, rest = suite.partition("-")
            if base in (codename, "stable"):
                swapped.append(release + sep + rest)
        if uris and swapped:
            stanza = f"Types: deb\nURIs: {' '.join(uris)}\nSuites: {' '.join(swapped)}\nComponents: {' '.join(comps)}\n"
            if signed_by:
                stanza += f"Signed-By: {signed_by}\n"
            stanzas.append(stanza)
    return "\n".join(stanzas)


def host_trusted_parts():
    out = subprocess.run(["apt-config", "shell", "T", "Dir::Etc::trustedparts/d"],
                         capture_output=True, text=True).stdout
    m = re.search(r"T='(.*)'", out)
    return m.group(1) if m else "/etc/apt/trusted.gpg.d/"


class Apt:
    """apt-get/apt-cache bound to a private state/config directory."""

    def __init__(self, root, release, codename, sources=None):
        self.root = Path(root)
        for d in ["etc/sources.list.d", "etc/apt.conf.d", "etc/preferences.d",
                  "state/lists/partial", "cache/archives/partial"]:
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "status").write_text("")
        (self.root / "etc/sources.list").write_text("")
        (self.root / "etc/sources.list.d/release.sources").write_text(
            sources if sources is not None else sources_for(release, codename))
        conf = self.root / "apt.conf"
        conf.write_text(
            f'Dir::Etc "{self.root}/etc";\n'
            f'Dir::Etc::trustedparts "{host_trusted_parts()}";\n'
            f'Dir::State "{self.root}/state";\n'
            f'Dir::State::status "{self.root}/status";\n'
            f'Dir::Cache "{self.root}/cache";\n'
            'APT::Sandbox::User "root";\n'
            'Acquire::Languages "none";\n'
        )
        self.env = dict(os.environ, APT_CONFIG=str(conf), LC_ALL="C")
        self._show = {}

    def run(self, *args):
        return subprocess.run(args, capture_output=True, text=True, env=self.env)

    def update(self):
        """Returns (ok, messages)."""
        res = self.run("apt-get", "update")
        msgs = [l for l in (res.stdout + res.stderr).splitlines() if l.startswith(("E:", "W:", "Err:"))]
        ok = bool(self.show("libc6"))
        return ok, msgs

    def show(self, *pkgs):
        """Fields of the candidate version of a real package, {} if none.
        Several names are looked up with one apt-cache call (and cached)."""
        todo = [p for p in pkgs if p not in self._show]
        if todo:
            out = self.run("apt-cache", "show", "--no-all-versions", *todo).stdout
            for p in todo:
                self._show[p] = {}
            for stanza in out.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line and not line[0].isspace() and ":" in line:
                        key, value = line.split(":", 1)
                        fields[key] = value.strip()
                if fields.get("Package") in todo:
                    self._show[fields["Package"]] = fields
        return self._show[pkgs[0]] if pkgs else {}

    def source(self, pkg):
        fields = self.show(pkg)
        return fields.get("Source", fields.get("Package", pkg)).split(" ")[0]

    def first_provider(self, virtual):
        out = self.run("apt-cache", "showpkg", virtual).stdout
        provides = out.split("Reverse Provides:", 1)[-1].split()
        return provides[0] if "Reverse Provides:" in out and provides else None

    def real(self, pkg):
        """pkg itself if real, else its first provider, else None."""
        if self.show(pkg):
            return pkg
        provider = self.first_provider(pkg)
        return provider if provider and self.show(provider) else None

    def depends(self, pkg):
        """Depends of pkg: the first real package of each alternative group
        ("a | b"); a virtual package stands for the providers listed under it."""
        entries, in_virtual = [], False  # entries: (more alternatives follow?, candidates)
        for line in self.run("apt-cache", "depends", pkg).stdout.splitlines()[1:]:
            m = re.match(r"\s*(\|?)Depends: (\S+)", line)
            if m:
                name = m.group(2).split(":")[0]  # drop ":any"
                in_virtual = name.startswith("<")
                entries.append((m.group(1) == "|", [] if in_virtual else [name]))
            elif in_virtual and line.startswith("    "):
                entries[-1][1].append(line.strip())  # a provider of the virtual
            else:
                in_virtual = False
        self.show(*[p for _, candidates in entries for p in candidates])  # one batched lookup
        result, group = [], []
        for more, candidates in entries:
            group += candidates
            if not more:
                real = [p for p in group if self.show(p)]
                if real:
                    result.append(real[0])
                group = []
        return result


# ---------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------

def is_dev(apt, pkg):
    return pkg.endswith("-dev") or apt.show(pkg).get("Section", "").endswith("libdevel")


def is_tool(apt, pkg):
    section = apt.show(pkg).get("Section", "").split("/")[-1]
    return section in NOT_RUNTIME_SECTIONS or pkg.endswith(NOT_RUNTIME_SUFFIXES)


def same_source_libs(apt, pkg, source, seen):
    """Runtime libs of `source` reachable from pkg through same-source -dev packages."""
    libs = []
    for dep in apt.depends(pkg):
        if dep in seen or apt.source(dep) != source:
            continue
        seen.add(dep)
        if is_dev(apt, dep):
            libs += same_source_libs(apt, dep, source, seen)
        elif not is_tool(apt, dep):
            libs.append(dep)
    return libs


def resolve(apt, dev):
    """Runtime packages for `dev`, or None if it does not exist in this release."""
    pkg = apt.real(dev)
    if pkg is None:
        return None
    seen = {pkg}
    libs = same_source_libs(apt, pkg, apt.source(pkg), seen)
    same_source_devs = [d for d in apt.depends(pkg) if apt.source(d) == apt.source(pkg) and is_dev(apt, d)]
    if not libs and not same_source_devs:
        # A "defaults"/transitional package: one hop through its -dev deps.
        for dep in apt.depends(pkg):
            if is_dev(apt, dep) and dep not in seen:
                seen.add(dep)
                libs += same_source_libs(apt, dep, apt.source(dep), seen)
    return sorted(dict.fromkeys(libs))


def ubuntu_sources(release, mirror, keyring):
    return (f"Types: deb\nURIs: {mirror}\n"
            f"Suites: {release} {release}-updates {release}-security\n"
            f"Components: {' '.join(UBUNTU_COMPONENTS)}\nSigned-By: {keyring}\n")


def pkgnames(apt):
    return apt.run("apt-cache", "pkgnames").stdout.split()


def jdk_runtime(apt, jdk):
    """The headless JRE of the same source a JDK depends on, or None."""
    for pattern, jre in JDK_RUNTIME:
        if not re.match(pattern, jdk):
            continue
        name = re.sub(pattern, jre, jdk)
        if not apt.show(name) or apt.source(name) != apt.source(jdk):
            return None
        # Among the JDK's dependencies, through same-source packages.
        seen, todo = {jdk}, [jdk]
        while todo:
            for dep in apt.depends(todo.pop()):
                if dep == name:
                    return [name]
                if dep not in seen and apt.source(dep) == apt.source(jdk):
                    seen.add(dep)
                    todo.append(dep)
        return None
    return None


def toolchain_table(apt, release):
    names = set(TOOLCHAIN_PACKAGES)
    names.update(n for n in pkgnames(apt) if any(re.match(p, n) for p in TOOLCHAIN_PATTERNS))
    table = {}
    for name in sorted(names):
        if not apt.real(name) or apt.real(name) != name:
            continue
        if any(re.match(p, name) for p, _ in JDK_RUNTIME):
            runtime = jdk_runtime(apt, name)
            if runtime is None:
                log(f"   {release}: {name}: no headless JRE of its source, skipped")
                continue
        else:
            runtime = resolve(apt, name)
        table[name] = runtime
    return table


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def toml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def toml_table(mapping):
    return "".join(f"{json.dumps(k)} = {toml_list(v)}\n" for k, v in sorted(mapping.items()))


def render(debian, toolchains, alpine_libs):
    out = [
        "# Generated by scripts/gen-packages.py from Debian's and Ubuntu's package metadata "
        "(apt-cache depends/show); Alpine part curated by hand.\n",
        "# Ubuntu releases (focal, jammy, noble) are tables of the debian family: msb reads Ubuntu images as Debian-like.\n",
        "# Regenerate: python3 scripts/gen-packages.py   (writes this file; "
        "build_only lists and the Alpine section are data in that script)\n",
        "\n[debian]\n",
        "# Installed only to build: never carried to the runtime stage.\n",
        f"build_only = {toml_list(DEBIAN_BUILD_ONLY)}\n",
    ]
    for release, table in debian.items():
        out.append(f"\n[debian.runtime_libs.{release}]\n")
        if release in CURATED_RELEASES:
            out.append(f"# {release}: curated by hand in scripts/gen-packages.py (archived release, "
                       "not on the mirrors any more)\n")
        out.append(toml_table(table))
    for release, table in toolchains.items():
        out.append(f"\n[debian.toolchain_runtime.{release}]\n")
        out.append(toml_table(table))
    out += [
        "\n[alpine]\n",
        "# Installed only to build: never carried to the runtime stage.\n",
        f"build_only = {toml_list(ALPINE_BUILD_ONLY)}\n",
        "\n# Curated by hand (not generated) for Alpine 3.18-3.20; "
        "fewer entries rather than guessed ones.\n",
        "[alpine.runtime_libs.default]\n",
        toml_table(alpine_libs),
        "\n# Curated by hand (not generated): see ALPINE_TOOLCHAIN_RUNTIME in the script.\n",
        "[alpine.toolchain_runtime.default]\n",
        toml_table(ALPINE_TOOLCHAIN_RUNTIME),
    ]
    return "".join(out)


def previous_tables(path, kind="runtime_libs"):
    """Debian tables of an existing output file, to keep releases we cannot fetch."""
    try:
        import tomllib
        with open(path, "rb") as f:
            return tomllib.load(f).get("debian", {}).get(kind, {})
    except (ImportError, OSError, ValueError):
        return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", nargs="+", default=RELEASES)
    parser.add_argument("--ubuntu-releases", nargs="*", default=UBUNTU_RELEASES)
    parser.add_argument("--ubuntu-mirror", help="an Ubuntu archive URL (Ubuntu releases are kept from the previous file without it)")
    parser.add_argument("--ubuntu-keyring", help="Ubuntu's archive keyring (ubuntu-keyring's ubuntu-archive-keyring.gpg)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="file to write, '-' for stdout")
    args = parser.parse_args()

    codename = host_codename()
    previous = previous_tables(args.output) if args.output != "-" else {}
    previous_toolchains = previous_tables(args.output, "toolchain_runtime") if args.output != "-" else {}
    debian, toolchains = {}, {}
    releases = [(r, None) for r in args.releases]
    for release in args.ubuntu_releases:
        if args.ubuntu_mirror and args.ubuntu_keyring:
            releases.append((release, ubuntu_sources(release, args.ubuntu_mirror, args.ubuntu_keyring)))
        elif release in previous:
            log(f"!! {release}: no --ubuntu-mirror/--ubuntu-keyring; keeping its tables from {args.output}")
            debian[release] = previous[release]
            if release in previous_toolchains:
                toolchains[release] = previous_toolchains[release]
    for release, sources in releases:
        with tempfile.TemporaryDirectory(prefix=f"gen-packages-{release}-") as tmp:
            apt = Apt(tmp, release, codename, sources)
            log(f"== {release}: apt-get update (private state in {tmp})")
            ok, msgs = apt.update()
            for m in msgs:
                log(f"   {m}")
            if not ok:
                if release in CURATED_RELEASES:
                    log(f"!! {release}: could not be fetched; using its curated table")
                    debian[release] = CURATED_RELEASES[release]
                elif release in previous:
                    log(f"!! {release}: could not be fetched; keeping its table from {args.output}")
                    debian[release] = previous[release]
                else:
                    log(f"!! {release}: could not be fetched; skipped")
                if release in previous_toolchains:
                    toolchains[release] = previous_toolchains[release]
                continue
            table = {}
            for dev in DEV_PACKAGES:
                libs = resolve(apt, dev)
                if libs is None:
                    log(f"   {release}: {dev} does not exist, skipped")
                else:
                    table[dev] = libs
            debian[release] = table
            toolchains[release] = toolchain_table(apt, release)
            log(f"   {release}: {len(table)} entries, {len(toolchains[release])} toolchain packages")

    text = render(debian, toolchains, ALPINE_RUNTIME_LIBS)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
