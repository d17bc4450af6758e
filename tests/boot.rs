//! `xlate boot` end to end: Debian's OpenSBI (`opensbi`, fw_jump) and S-mode U-Boot
//! (`u-boot-qemu`) boot to the prompt under the JIT, answer `version` typed on stdin and power
//! off through SBI SRST; the project's own S-mode payloads (testsuites/boot) run under the
//! built-in SBI and under OpenSBI. Firmware tests skip when the packages are missing, except
//! with XLATE_REQUIRE_FIRMWARE=1 (CI), where that is a failure.

use crate::common;

use common::console::{require_firmware, Session, FW_JUMP, STEP, UBOOT};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn uboot_session(engine: &[&str]) {
    let mut args = vec!["--bios", FW_JUMP, "--kernel", UBOOT];
    args.extend_from_slice(engine);
    let mut s = Session::start(&args);
    let banner = s.expect("Hit any key to stop autoboot");
    assert!(banner.contains("OpenSBI v"), "OpenSBI banner:\n{banner}");
    assert!(
        banner.contains("Platform Console Device   : uart8250"),
        "OpenSBI found the UART in our device tree:\n{banner}"
    );
    assert!(banner.contains("Domain0 Next Address      : 0x0000000080200000"));
    assert!(banner.contains("\nU-Boot 20"), "U-Boot banner:\n{banner}");
    assert!(
        banner.contains("DRAM:  256 MiB"),
        "RAM size from the device tree:\n{banner}"
    );
    assert!(banner.contains("In:    serial@10000000"));
    // Any key stops the countdown.
    s.send("\n");
    s.expect("=> ");
    s.send("version\n");
    let reply = s.expect("=> ");
    assert!(
        reply.starts_with("version\r\nU-Boot 20"),
        "U-Boot echoes the command and prints its version:\n{reply:?}"
    );
    assert!(reply.contains("riscv64-linux-gnu-gcc"), "{reply:?}");
    s.send("poweroff\n");
    s.expect("poweroff ...");
    let (code, out) = s.wait();
    assert_eq!(
        code, 0,
        "SBI SRST shutdown through OpenSBI's sifive_test driver; console:\n{out}"
    );
}

#[test]
fn opensbi_and_uboot_boot_answer_version_and_power_off_under_the_jit() {
    if !require_firmware("opensbi_and_uboot") {
        return;
    }
    uboot_session(&["--engine", "jit"]);
}

#[test]
fn end_of_input_does_not_stop_the_guest() {
    if !require_firmware("end_of_input") {
        return;
    }
    let mut s = Session::start(&["--bios", FW_JUMP, "--kernel", UBOOT]);
    s.send("\n");
    s.close_stdin();
    s.expect("=> ");
    // The guest keeps running after stdin closed: U-Boot is still at its prompt, polling.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        s.child.try_wait().expect("try_wait").is_none(),
        "xlate exited at end of input"
    );
    let _ = s.child.kill();
}

fn payload(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testsuites/boot/bin")
        .join(name)
}

fn run_boot(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(common::xlate())
        .arg("boot")
        .args(args)
        // CI exports XLATE_KERNEL for tests/linux_boot.rs; it is also `--kernel`'s variable.
        .env_remove("XLATE_KERNEL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn xlate boot");
    let mut si = child.stdin.take().expect("stdin");
    si.write_all(stdin).expect("stdin");
    drop(si);
    let deadline = Instant::now() + STEP;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "xlate boot {args:?} timed out; console:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_is_one_line_and_a_distinct_status() {
    let (code, _, err) = run_boot(&["--kernel", "/nonexistent/kernel"], b"");
    assert_eq!(code, 127, "{err}");
    assert!(
        err.starts_with("xlate: cannot read kernel /nonexistent/kernel"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run_boot(&[], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--bios none needs a --kernel"), "{err}");
    // A kernel that does not fit in RAM.
    let big = std::env::temp_dir().join(format!("xlate-boot-big-{}", std::process::id()));
    std::fs::write(&big, vec![0u8; 20 << 20]).expect("write");
    let (code, _, err) = run_boot(&["-m", "16M", "--kernel", big.to_str().unwrap_or("")], b"");
    let _ = std::fs::remove_file(&big);
    assert_eq!(code, 126, "{err}");
    assert!(
        err.contains("kernel") && err.contains("does not fit in RAM"),
        "{err}"
    );
    // An invalid device tree.
    let bad = std::env::temp_dir().join(format!("xlate-boot-dtb-{}", std::process::id()));
    std::fs::write(&bad, b"not a device tree").expect("write");
    let p = payload("sbi-hello");
    let (code, _, err) = run_boot(
        &[
            "--kernel",
            p.to_str().unwrap_or(""),
            "--dtb",
            bad.to_str().unwrap_or(""),
        ],
        b"",
    );
    let _ = std::fs::remove_file(&bad);
    assert_eq!(code, 126, "{err}");
    assert!(
        err.contains("invalid device tree: bad device tree magic"),
        "{err}"
    );
}

#[test]
fn dump_dtb_writes_a_device_tree_for_the_virt_map() {
    let path = std::env::temp_dir().join(format!("xlate-boot-{}.dtb", std::process::id()));
    let (code, _, err) = run_boot(
        &[
            "--dump-dtb",
            path.to_str().unwrap_or(""),
            "--append",
            "console=ttyS0",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let blob = std::fs::read(&path).expect("dtb written");
    let _ = std::fs::remove_file(&path);
    assert_eq!(&blob[..4], &[0xd0, 0x0d, 0xfe, 0xed], "FDT magic");
    let text = String::from_utf8_lossy(&blob);
    for s in [
        "riscv-virtio",
        "ns16550a",
        "sifive,plic-1.0.0",
        "sifive,clint0",
        "sifive,test0",
        "syscon-poweroff",
        "console=ttyS0",
        "rv64imafdc",
        "serial@10000000",
        "memory@80000000",
    ] {
        assert!(text.contains(s), "{s} missing from the device tree");
    }
}

const PAYLOAD_OUT: &str = "hello from S-mode\nsbi ok\ntimer ok\necho:\nABC\nXYZbye\n";

#[test]
fn sbi_payload_under_the_builtin_firmware() {
    let p = payload("sbi-hello");
    for engine in common::engines() {
        let mut args = vec![
            "--stats".to_string(),
            "--kernel".into(),
            p.display().to_string(),
        ];
        args.extend(common::engine_args(&engine));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run_boot(&args, b"abc\nxyzq");
        assert_eq!(out, PAYLOAD_OUT, "{engine}: {err}");
        assert_eq!(code, 0, "{engine}: SRST shutdown: {err}");
        // The payload waits 20 ms for its timer in wfi: the host thread sleeps meanwhile.
        let slept = err
            .split("s wall (")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no stats line: {err}"));
        assert!(slept >= 0.015, "{engine}: wfi slept {slept} s; {err}");
        assert!(err.contains("SBI calls answered by the monitor"), "{err}");
        if engine == "jit-eager" {
            // Every block is translated at once: the time in translated code is measured.
            let jit = err
                .split("; time: ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no time split: {err}"));
            assert!(jit > 0.0, "{err}");
        }
    }
}

#[test]
fn sbi_payload_under_opensbi() {
    if !require_firmware("sbi_payload_under_opensbi") {
        return;
    }
    let p = payload("sbi-hello");
    let mut s = Session::start(&["--bios", FW_JUMP, "--kernel", p.to_str().unwrap_or("")]);
    s.expect("OpenSBI v");
    s.expect("echo:");
    // Sent once the payload listens (OpenSBI's UART set-up drains what came earlier, as it
    // would on QEMU).
    s.send("abc\nxyzq");
    s.expect("bye");
    let (code, out) = s.wait();
    assert_eq!(code, 0, "{out}");
    // OpenSBI's console turns "\n" into "\r\n".
    let out = out.replace('\r', "");
    let tail = &out[out.find("hello from S-mode").unwrap_or(0)..];
    assert_eq!(tail, PAYLOAD_OUT);
}

#[test]
fn a_failure_code_written_to_the_test_finisher_is_the_exit_status() {
    // A flat S-mode program that writes 0x3333 | 3 << 16 (fail, code 3) to the finisher.
    let prog: Vec<u8> = [
        0x0010_02b7u32, // lui  t0, 0x100
        0x0003_3337,    // lui  t1, 0x33
        0x3333_0313,    // addi t1, t1, 0x333
        0x0062_a023,    // sw   t1, 0(t0)
        0x0000_006f,    // j    .
    ]
    .iter()
    .flat_map(|w| w.to_le_bytes())
    .collect();
    let path = std::env::temp_dir().join(format!("xlate-boot-fail-{}", std::process::id()));
    std::fs::write(&path, prog).expect("write");
    let (code, _, err) = run_boot(&["--kernel", path.to_str().unwrap_or("")], b"");
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 3, "{err}");
}
