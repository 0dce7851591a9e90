#!/usr/bin/env bash
# Installs Switchboard: the binary, the systemd unit, the sysusers.d and tmpfiles.d entries, the
# default configuration and docs/OPERATIONS.md. Run with --help for the options.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [--binary PATH] [--destdir DIR] [--prefix DIR]

Installs Switchboard under DESTDIR (default: the real root, /):
  PREFIX/bin/switchboard                       0755  the daemon (--binary, else built)
  /usr/lib/systemd/system/switchboard.service  0644  the unit; in /etc/systemd/system when
                                                     PREFIX is not /usr (paths rewritten)
  /usr/lib/sysusers.d/switchboard.conf         0644  system user and group "switchboard"
  /usr/lib/tmpfiles.d/switchboard.conf         0644  /etc/switchboard root:switchboard 0750
  /etc/switchboard/switchboard.yaml            0640  the default configuration; an existing
                                                     one is never overwritten: the shipped
                                                     default goes to switchboard.yaml.new
  PREFIX/share/doc/switchboard/OPERATIONS.md   0644

Options:
  --binary PATH   install this prebuilt switchboard executable; without it the script runs
                  `swift build -c release --product switchboard` in the package and installs
                  the result (build as yourself first, then run the script as root with
                  --binary .build/release/switchboard, so .build does not become root's)
  --destdir DIR   stage the files under DIR (for packaging); the host is not touched: no
                  systemd-sysusers, systemd-tmpfiles or systemctl
  --prefix DIR    installation prefix (default /usr)
  -h, --help      this help

Into the real root (no --destdir) it must run as root; it then runs systemd-sysusers,
systemd-tmpfiles --create and, when systemd is running, systemctl daemon-reload. At the end it
checks the installed unit with `systemd-analyze verify` (any output counts as a failure) and
prints its `systemd-analyze security --offline=true` exposure level, when systemd-analyze is
installed.
EOF
}

die() {
    echo "install.sh: $*" >&2
    exit 1
}

destdir=""
prefix="/usr"
binary=""
while (($# > 0)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --destdir | --prefix | --binary)
            (($# >= 2)) || die "$1 needs a value"
            case "$1" in
                --destdir) destdir="$2" ;;
                --prefix) prefix="$2" ;;
                --binary) binary="$2" ;;
            esac
            shift 2
            ;;
        --destdir=*) destdir="${1#*=}"; shift ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --binary=*) binary="${1#*=}"; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

# Paths end up in ExecStart=, where spaces, quotes, % (specifiers) and $ (variables) have a
# meaning: accept plain paths only.
plain_path='^[A-Za-z0-9._/+@,:=-]*$'
[[ "$prefix" == /* && "$prefix" =~ $plain_path ]] || die "--prefix must be an absolute plain path: $prefix"
prefix="${prefix%/}"
[[ -n "$prefix" ]] || die "--prefix / is not supported (use /usr)"
[[ -z "$binary" || ( -f "$binary" && -x "$binary" ) ]] || die "not an executable file: $binary"
if [[ -n "$destdir" ]]; then
    [[ "$destdir" =~ $plain_path ]] || die "--destdir must be a plain path: $destdir"
    mkdir -p "$destdir"
    destdir="$(cd "$destdir" && pwd -P)"
    [[ "$destdir" =~ $plain_path ]] || die "--destdir must be a plain path: $destdir"
    [[ "$destdir" != "/" ]] || destdir=""
fi
real_root=false
[[ -z "$destdir" ]] && real_root=true
if $real_root && ((EUID != 0)); then
    die "installing into / needs root (or stage the files with --destdir DIR)"
fi

package_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
umask 022

# --- The binary ---
if [[ -z "$binary" ]]; then
    echo "building: swift build -c release --product switchboard"
    (cd "$package_root" && swift build -c release --product switchboard)
    binary="$(cd "$package_root" && swift build -c release --show-bin-path)/switchboard"
fi
[[ -f "$binary" && -x "$binary" ]] || die "not an executable file: $binary"

# Units in /usr/lib/systemd/system belong to the distribution's /usr; any other prefix is a
# local installation, whose unit goes to /etc/systemd/system.
if [[ "$prefix" == "/usr" ]]; then
    unit_dir="/usr/lib/systemd/system"
else
    unit_dir="/etc/systemd/system"
fi
unit="$destdir$unit_dir/switchboard.service"
config_dir="$destdir/etc/switchboard"
config="$config_dir/switchboard.yaml"

install -D -m 0755 "$binary" "$destdir$prefix/bin/switchboard"
echo "installed $destdir$prefix/bin/switchboard"

# The unit names /usr/bin/switchboard and /usr/share/doc/switchboard: rewrite for the prefix.
unit_text="$(<"$package_root/systemd/switchboard.service")"
unit_text="${unit_text//"ExecStart=/usr/bin/switchboard "/"ExecStart=$prefix/bin/switchboard "}"
unit_text="${unit_text//"file:///usr/share/doc/switchboard/"/"file://$prefix/share/doc/switchboard/"}"
install -d -m 0755 "$destdir$unit_dir"
printf '%s\n' "$unit_text" >"$unit.tmp"
chmod 0644 "$unit.tmp"
mv -f "$unit.tmp" "$unit"
echo "installed $unit"

install -D -m 0644 "$package_root/systemd/switchboard.sysusers" "$destdir/usr/lib/sysusers.d/switchboard.conf"
echo "installed $destdir/usr/lib/sysusers.d/switchboard.conf"
install -D -m 0644 "$package_root/systemd/switchboard.tmpfiles" "$destdir/usr/lib/tmpfiles.d/switchboard.conf"
echo "installed $destdir/usr/lib/tmpfiles.d/switchboard.conf"
install -D -m 0644 "$package_root/docs/OPERATIONS.md" "$destdir$prefix/share/doc/switchboard/OPERATIONS.md"
echo "installed $destdir$prefix/share/doc/switchboard/OPERATIONS.md"

# --- The configuration: never overwritten ---
[[ -d "$config_dir" ]] || install -d -m 0750 "$config_dir"
if [[ ! -e "$config" ]]; then
    install -m 0640 "$package_root/config/switchboard.yaml" "$config"
    echo "installed $config"
elif cmp -s "$package_root/config/switchboard.yaml" "$config"; then
    echo "kept $config (same as the shipped default)"
else
    install -m 0640 "$package_root/config/switchboard.yaml" "$config.new"
    echo "kept $config (modified); the shipped default is in $config.new: merge it by hand"
fi

# --- The host: only for the real root ---
if $real_root; then
    systemd-sysusers /usr/lib/sysusers.d/switchboard.conf
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/switchboard.conf
    if [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
    else
        echo "systemd is not running here: systemctl daemon-reload skipped"
    fi
    echo "next: review $config, then: systemctl enable --now switchboard"
else
    echo "staged under $destdir; the host was not touched (no systemd-sysusers, systemd-tmpfiles, systemctl)"
fi

# --- Checks ---
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not installed: unit not verified"
    exit 0
fi
# `systemd-analyze verify` resolves the unit's dependencies (sysinit.target, network-online.target,
# ...) and checks that ExecStart=/ExecReload= commands exist. `--root=DESTDIR` would look for all
# of them inside DESTDIR, where a staging tree has neither the targets nor /bin/kill (systemd 252:
# "Unit sysinit.target not found", "Command /bin/kill is not executable"). So with a destdir a
# copy of the installed unit whose ExecStart= points at the staged binary is verified against
# the host's units instead. verify exits 0 even on warnings (unknown keys): any output fails.
verify_file="$unit"
if [[ -n "$destdir" ]]; then
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    staged_text="$(<"$unit")"
    printf '%s\n' "${staged_text//"ExecStart=$prefix/bin/switchboard "/"ExecStart=$destdir$prefix/bin/switchboard "}" \
        >"$scratch/switchboard.service"
    verify_file="$scratch/switchboard.service"
fi
if ! verify_output="$(systemd-analyze verify "$verify_file" 2>&1)" || [[ -n "$verify_output" ]]; then
    printf '%s\n' "$verify_output" >&2
    die "systemd-analyze verify reported problems with $unit"
fi
echo "systemd-analyze verify: clean"
# "→ Overall exposure level for switchboard.service: 1.1 OK 🙂": print it from "Overall" on.
exposure="$(systemd-analyze security --offline=true "$unit" 2>&1 | grep -o 'Overall exposure level.*' || true)"
echo "systemd-analyze security --offline=true: ${exposure:-no rating printed}"
