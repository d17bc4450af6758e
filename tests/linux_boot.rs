//! `xlate boot` boots a real Linux kernel (Debian 13's riscv64 6.12 `Image`, fetched by
//! scripts/fetch-kernel.sh) with the project's initramfs (testsuites/boot/bin/initramfs.cpio:
//! an init that prints one line and powers off through reboot(2)), with the built-in SBI and
//! with Debian's OpenSBI, under both engines. The kernel comes from `XLATE_KERNEL` or
//! /tmp/xlate-kernel/Image; without it the tests skip, except with XLATE_REQUIRE_KERNEL=1
//! (CI), where that is a failure.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const INIT_LINE: &str = "xlate-init: hello from userspace, powering off";
/// A boot on 2 shared cores; the kernel alone takes ~20 s of one.
const LIMIT: Duration = Duration::from_secs(300);

fn kernel(what: &str) -> Option<PathBuf> {
    let p = std::env::var_os("XLATE_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/xlate-kernel/Image"));
    if p.exists() {
        return Some(p);
    }
    assert!(
        !common::env_flag("XLATE_REQUIRE_KERNEL"),
        "{what}: no kernel at {} and XLATE_REQUIRE_KERNEL=1",
        p.display()
    );
    eprintln!("SKIPPED {what}: run scripts/fetch-kernel.sh (or set XLATE_KERNEL)");
    None
}

fn initramfs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testsuites/boot/bin/initramfs.cpio")
}

/// Boots `kernel` with `bios` and `engine`; returns (exit status, console output).
fn boot(kernel: &Path, bios: &str, engine: &str) -> (Option<i32>, String) {
    let mut child = Command::new(common::xlate())
        .arg("boot")
        .args(["--bios", bios, "--engine", engine, "--kernel"])
        .arg(kernel)
        .arg("--initrd")
        .arg(initramfs())
        .args(["--append", "console=ttyS0 quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn xlate boot");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let out = reader.join().unwrap_or_default();
            panic!("Linux did not power off within {LIMIT:?}; console:\n{out}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().unwrap_or_default())
}

fn boots_to_init(bios: &str, engine: &str) {
    let what = format!("linux_boot --bios {bios} --engine {engine}");
    let Some(k) = kernel(&what) else { return };
    if bios != "none" && !Path::new(bios).exists() {
        assert!(
            !common::env_flag("XLATE_REQUIRE_FIRMWARE"),
            "{what}: {bios} is missing and XLATE_REQUIRE_FIRMWARE=1"
        );
        eprintln!("SKIPPED {what}: install the Debian package opensbi");
        return;
    }
    let (status, out) = boot(&k, bios, engine);
    // The init's line, then the kernel's poweroff message, then a clean exit (status 0 is a
    // poweroff through SBI SRST or the test finisher).
    let at = out
        .find(INIT_LINE)
        .unwrap_or_else(|| panic!("{what}: the init's line is missing; console:\n{out}"));
    assert!(
        out[at..].contains("reboot: Power down"),
        "{what}: no poweroff after the init's line; console:\n{out}"
    );
    assert_eq!(status, Some(0), "{what}: console:\n{out}");
}

#[test]
fn linux_boots_to_init_builtin_sbi_jit() {
    boots_to_init("none", "jit");
}

#[test]
fn linux_boots_to_init_opensbi_jit() {
    boots_to_init(FW_JUMP, "jit");
}

#[test]
fn linux_boots_to_init_builtin_sbi_interp() {
    boots_to_init("none", "interp");
}
