//! `xlate boot --drive`: Debian's S-mode U-Boot (`u-boot-qemu`, under OpenSBI's fw_jump) finds
//! the virtio block device in virtio-mmio slot 0, reads a sector of a raw image this test wrote
//! (known bytes, checked with `md.b`) and writes one (checked in the file afterwards); with
//! `--drive-readonly` the write fails and the file stays as it was. Also the command line's bad
//! input and the device tree's virtio-mmio nodes. The U-Boot tests skip when the packages are
//! missing, except with XLATE_REQUIRE_FIRMWARE=1 (CI), where that is a failure.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
/// Each step of a session must finish within this (2 shared cores in CI).
const STEP: Duration = Duration::from_secs(120);
/// The test image: 128 sectors.
const SECTORS: usize = 128;

fn require_firmware(what: &str) -> bool {
    if Path::new(FW_JUMP).exists() && Path::new(UBOOT).exists() {
        return true;
    }
    assert!(
        !common::env_flag("XLATE_REQUIRE_FIRMWARE"),
        "{what}: {FW_JUMP} or {UBOOT} is missing and XLATE_REQUIRE_FIRMWARE=1"
    );
    eprintln!("SKIPPED {what}: install the Debian packages opensbi and u-boot-qemu");
    false
}

/// Byte `i` of the test image.
fn pattern(i: usize) -> u8 {
    (i * 7 + 3 + i / 512) as u8
}

fn image(s: &common::Scratch) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..SECTORS * 512).map(pattern).collect();
    let path = s.path.join("disk.img");
    std::fs::write(&path, &data).expect("write the image");
    (path, data)
}

/// An interactive `xlate boot` with its console on pipes.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let mut child = Command::new(common::xlate())
            .arg("boot")
            .args(args)
            .env_remove("XLATE_KERNEL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn xlate boot");
        let mut stdout = child.stdout.take().expect("stdout");
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        let stdin = child.stdin.take();
        Session {
            child,
            stdin,
            out,
            seen: 0,
        }
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("lock")).into_owned()
    }

    /// Waits until `needle` appears after what earlier waits consumed; returns the text
    /// from there up to and including it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            {
                let out = self.out.lock().expect("lock");
                let hay = &out[self.seen..];
                if let Some(i) = hay
                    .windows(needle.len())
                    .position(|w| w == needle.as_bytes())
                {
                    let text = String::from_utf8_lossy(&hay[..i + needle.len()]).into_owned();
                    self.seen += i + needle.len();
                    return text;
                }
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "timed out waiting for {needle:?}; console so far:\n{}",
                    self.output()
                );
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                let out = self.output();
                if out[self.seen.min(out.len())..].contains(needle) {
                    continue;
                }
                panic!("xlate exited ({st}) before {needle:?}; console:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types a command and returns what U-Boot answered up to its next prompt.
    fn command(&mut self, cmd: &str) -> String {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .expect("write to the guest console");
        stdin.flush().expect("flush");
        self.expect("=> ")
    }

    /// Waits for xlate to exit; returns its exit code.
    fn wait(mut self) -> (i32, String) {
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return (st.code().unwrap_or(-1), self.output());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("xlate did not exit; console:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// U-Boot at its prompt with `drive` attached.
fn uboot(drive: &Path, extra: &[&str]) -> Session {
    let mut args = vec![
        "--bios",
        FW_JUMP,
        "--kernel",
        UBOOT,
        "--drive",
        drive.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let mut s = Session::start(&args);
    s.expect("Hit any key to stop autoboot");
    s.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"\n")
        .expect("stop autoboot");
    s.expect("=> ");
    let scan = s.command("virtio scan");
    assert_eq!(scan, "virtio scan\r\n=> ", "a silent scan");
    let info = s.command("virtio info");
    assert!(
        info.contains("Device 0: QEMU VirtIO Block Device")
            && info.contains("Type: Hard Disk")
            && info.contains(&format!("Capacity: 0.0 MB = 0.0 GB ({SECTORS} x 512)")),
        "U-Boot found the disk and its capacity:\n{info}"
    );
    assert!(
        !info.contains("Device 1"),
        "only slot 0 holds a device:\n{info}"
    );
    let dev = s.command("virtio dev");
    assert!(
        dev.contains("device 0: QEMU VirtIO Block Device"),
        "current device:\n{dev}"
    );
    s
}

/// `md.b` of 16 bytes of `data` at `addr`.
fn md_line(addr: u64, data: &[u8]) -> String {
    let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
    format!("{addr:08x}: {}", hex.join(" "))
}

/// Reads sector 0 and a sector in the middle and checks the bytes with `md.b`.
fn check_reads(s: &mut Session, data: &[u8]) {
    let r = s.command("virtio read 0x84000000 0 1");
    assert!(r.contains("1 blocks read: OK"), "{r}");
    let md = s.command("md.b 0x84000000 0x20");
    for line in 0..2 {
        let want = md_line(
            0x8400_0000 + 16 * line as u64,
            &data[16 * line..16 * line + 16],
        );
        assert!(md.contains(&want), "sector 0: want {want:?} in\n{md}");
    }
    // Sectors 77..79 at once; the last 16 bytes of sector 78.
    let r = s.command("virtio read 0x84000000 0x4d 2");
    assert!(r.contains("2 blocks read: OK"), "{r}");
    let md = s.command("md.b 0x840003f0 0x10");
    let at = 79 * 512 - 16;
    let want = md_line(0x8400_03f0, &data[at..at + 16]);
    assert!(md.contains(&want), "sector 78: want {want:?} in\n{md}");
}

#[test]
fn uboot_reads_and_writes_a_virtio_disk() {
    if !require_firmware("uboot_virtio") {
        return;
    }
    let scratch = common::Scratch::new("virtio-rw");
    let (path, mut data) = image(&scratch);
    let mut s = uboot(&path, &[]);
    check_reads(&mut s, &data);
    // Write sector 5 with a known word pattern, read it back elsewhere and compare.
    let r = s.command("mw.l 0x84100000 0xc0ffee42 0x80");
    assert_eq!(r, "mw.l 0x84100000 0xc0ffee42 0x80\r\n=> ");
    let r = s.command("virtio write 0x84100000 5 1");
    assert!(r.contains("1 blocks written: OK"), "{r}");
    let r = s.command("virtio read 0x84200000 5 1");
    assert!(r.contains("1 blocks read: OK"), "{r}");
    let r = s.command("cmp.b 0x84100000 0x84200000 0x200");
    assert!(r.contains("Total of 512 byte(s) were the same"), "{r}");
    s.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"poweroff\n")
        .expect("poweroff");
    let (code, out) = s.wait();
    assert_eq!(code, 0, "poweroff; console:\n{out}");
    let after = std::fs::read(&path).expect("read the image");
    for w in data[5 * 512..6 * 512].chunks_mut(4) {
        w.copy_from_slice(&0xc0ff_ee42u32.to_le_bytes());
    }
    assert_eq!(after.len(), data.len());
    assert!(
        after == data,
        "sector 5 written, the rest untouched (first difference at byte {:?})",
        after.iter().zip(&data).position(|(a, b)| a != b)
    );
}

#[test]
fn uboot_cannot_write_a_read_only_drive() {
    if !require_firmware("uboot_virtio_readonly") {
        return;
    }
    let scratch = common::Scratch::new("virtio-ro");
    let (path, data) = image(&scratch);
    let mut s = uboot(&path, &["--drive-readonly", "--engine", "interp"]);
    check_reads(&mut s, &data);
    s.command("mw.l 0x84100000 0xc0ffee42 0x80");
    let r = s.command("virtio write 0x84100000 5 1");
    // U-Boot 2023.01 prints the driver's -EIO as the count.
    assert!(r.contains("blocks written: ERROR"), "{r}");
    s.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"poweroff\n")
        .expect("poweroff");
    let (code, out) = s.wait();
    assert_eq!(code, 0, "poweroff; console:\n{out}");
    assert!(
        std::fs::read(&path).expect("read the image") == data,
        "the read-only image is unchanged"
    );
}

fn run_boot(args: &[&str]) -> (i32, String) {
    let out = Command::new(common::xlate())
        .arg("boot")
        .args(args)
        .env_remove("XLATE_KERNEL")
        .env_remove("XLATE_DRIVE")
        .stdin(Stdio::null())
        .output()
        .expect("run xlate boot");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_or_unusable_drive_is_one_line_and_status_127() {
    let scratch = common::Scratch::new("virtio-bad");
    let k = Path::new(env!("CARGO_MANIFEST_DIR")).join("testsuites/boot/bin/sbi-hello");
    let k = k.to_str().expect("utf-8 path");
    let missing = scratch.path.join("missing.img");
    let missing = missing.to_str().expect("utf-8 path");
    let (code, err) = run_boot(&["--kernel", k, "--drive", missing]);
    assert_eq!(code, 127, "{err}");
    assert_eq!(
        err,
        format!(
            "xlate: cannot open drive {missing} for writing: No such file or directory (os error 2)\n"
        )
    );
    let (code, err) = run_boot(&["--kernel", k, "--drive", missing, "--drive-readonly"]);
    assert_eq!(code, 127, "{err}");
    assert!(err.starts_with("xlate: cannot open drive"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let dir = scratch.path.to_str().expect("utf-8 path");
    let (code, err) = run_boot(&["--kernel", k, "--drive", dir, "--drive-readonly"]);
    assert_eq!(code, 127, "{err}");
    assert!(err.ends_with(": is a directory\n"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // --drive-readonly means nothing without a drive: a usage error.
    let (code, err) = run_boot(&["--kernel", k, "--drive-readonly"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--drive"), "{err}");
}

#[test]
fn the_device_tree_lists_the_virtio_mmio_slots_as_qemu() {
    let scratch = common::Scratch::new("virtio-dtb");
    let path = scratch.path.join("virt.dtb");
    let (code, err) = run_boot(&["--dump-dtb", path.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{err}");
    let blob = std::fs::read(&path).expect("dtb written");
    let has = |s: &[u8]| blob.windows(s.len()).any(|w| w == s);
    for slot in 1..=8u64 {
        let name = format!("virtio_mmio@{:x}\0", 0x1000_0000 + slot * 0x1000);
        assert!(has(name.as_bytes()), "{name} missing");
        // reg = <0 base 0 0x1000>, interrupts = <slot>: big-endian cells.
        let mut reg = Vec::new();
        for cell in [0u32, 0x1000_0000 + slot as u32 * 0x1000, 0, 0x1000] {
            reg.extend_from_slice(&cell.to_be_bytes());
        }
        assert!(has(&reg), "reg of slot {slot}");
    }
    assert!(has(b"virtio,mmio\0"));
    assert!(!has(b"virtio_mmio@10009000"), "QEMU has eight slots");
}
