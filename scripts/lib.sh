# Shared by the ensure-* scripts; source it after defining log and die.

# as_root runs a command as root: directly when root, else with passwordless sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		die "need root (or passwordless sudo) to run: $*"
	fi
}
