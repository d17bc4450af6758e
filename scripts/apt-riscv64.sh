# Sourced by scripts/fetch-kernel.sh and scripts/fetch-busybox.sh: a private apt configuration
# for Debian 13 (trixie) riscv64 packages in OUT (this machine's apt sources and state are not
# touched). After `apt_riscv64_setup OUT`, "${APT[@]}" holds the options for apt-get and
# apt-cache, and the package lists are up to date.
apt_riscv64_setup() {
    local out="$1"
    mkdir -p "$out/apt/lists/partial" "$out/apt/cache/archives/partial" "$out/etc"
    cat > "$out/etc/sources.list" <<SRC
deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
    APT=(-o Dir::Etc::SourceList="$out/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o Dir::State::Lists="$out/apt/lists" -o Dir::Cache="$out/apt/cache"
         -o APT::Architecture=riscv64 -o APT::Architectures::=riscv64
         -o Debug::NoLocking=1)
    apt-get "${APT[@]}" update -qq
}
