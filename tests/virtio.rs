//! `xlate boot --drive`: Debian's S-mode U-Boot (`u-boot-qemu`, under OpenSBI's fw_jump) finds
//! the virtio block device in virtio-mmio slot 0, reads a sector of a raw image this test wrote
//! (known bytes, checked with `md.b`) and writes one (checked in the file afterwards); with
//! `--drive-readonly` the write fails and the file stays as it was. Also the command line's bad
//! input and the device tree's virtio-mmio nodes. The U-Boot tests skip when the packages are
//! missing, except with XLATE_REQUIRE_FIRMWARE=1 (CI), where that is a failure.

use crate::common;

use common::console::{require_firmware, Session, FW_JUMP, UBOOT};

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The test image: 128 sectors.
const SECTORS: usize = 128;

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

/// Debian's kernel (scripts/fetch-kernel.sh: `XLATE_KERNEL`, or /tmp/xlate-kernel/Image) and
/// its virtio_mmio and virtio_blk modules, unpacked beside it in x/.
fn kernel_and_modules(what: &str) -> Option<(PathBuf, [PathBuf; 2])> {
    let k = std::env::var_os("XLATE_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/xlate-kernel/Image"));
    let modules = k.parent().map(|d| d.join("x/usr/lib/modules"));
    let found = modules
        .and_then(|m| std::fs::read_dir(m).ok())
        .and_then(|mut versions| versions.next())
        .and_then(|v| v.ok())
        .map(|v| {
            let d = v.path().join("kernel/drivers");
            [
                d.join("virtio/virtio_mmio.ko.xz"),
                d.join("block/virtio_blk.ko.xz"),
            ]
        })
        .filter(|m| k.exists() && m.iter().all(|p| p.exists()));
    if let Some(m) = found {
        return Some((k, m));
    }
    assert!(
        !common::env_flag("XLATE_REQUIRE_KERNEL"),
        "{what}: no kernel with its virtio modules at {} and XLATE_REQUIRE_KERNEL=1",
        k.display()
    );
    eprintln!("SKIPPED {what}: run scripts/fetch-kernel.sh (or set XLATE_KERNEL)");
    None
}

/// One initramfs entry: name, mode, contents, device numbers.
type Entry<'a> = (&'a str, u32, Vec<u8>, (u32, u32));

/// A newc cpio archive (the initramfs format), as testsuites/boot/mkcpio.py writes it.
fn cpio(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put = |ino: usize, name: &str, mode: u32, data: &[u8], rdev: (u32, u32)| {
        let fields = [
            ino as u32,
            mode,
            0,
            0,
            if mode & 0o040000 != 0 { 2 } else { 1 },
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    };
    for (i, (name, mode, data, rdev)) in entries.iter().enumerate() {
        put(i + 1, name, *mode, data, *rdev);
    }
    put(0, "TRAILER!!!", 0, &[], (0, 0));
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

/// Linux loads virtio_mmio and virtio_blk (Debian builds them as modules; the project's
/// init loads them with finit_module), reads /dev/vda's first sector and writes the second.
#[test]
fn linux_reads_and_writes_dev_vda() {
    let what = "linux_virtio";
    let Some((kernel, [mmio, blk])) = kernel_and_modules(what) else {
        return;
    };
    let scratch = common::Scratch::new("virtio-linux");
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let init = Path::new(env!("CARGO_MANIFEST_DIR")).join("testsuites/boot/bin/vda-init");
    let initrd = cpio(&[
        ("dev", 0o040755, Vec::new(), (0, 0)),
        ("dev/console", 0o020600, Vec::new(), (5, 1)),
        ("init", 0o100755, read(&init), (0, 0)),
        ("virtio_mmio.ko.xz", 0o100644, read(&mmio), (0, 0)),
        ("virtio_blk.ko.xz", 0o100644, read(&blk), (0, 0)),
    ]);
    let initrd_path = scratch.path.join("initramfs.cpio");
    std::fs::write(&initrd_path, initrd).expect("write the initramfs");
    let mut disk = b"xlate virtio disk: sector zero\nrest of the sector".to_vec();
    disk.resize(SECTORS * 512, 0xee);
    let disk_path = scratch.path.join("disk.img");
    std::fs::write(&disk_path, &disk).expect("write the image");
    let mut child = Command::new(common::xlate())
        .arg("boot")
        .args(["--engine", "interp", "--kernel"])
        .arg(&kernel)
        .arg("--initrd")
        .arg(&initrd_path)
        .arg("--drive")
        .arg(&disk_path)
        .args(["--append", "console=ttyS0 quiet"])
        .env_remove("XLATE_KERNEL")
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
    // A boot takes ~20 s of one core; the shared machine may be much slower.
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Linux did not power off; console:\n{}",
                reader.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The console's tty turns "\n" into "\r\n".
    let out = reader.join().unwrap_or_default().replace("\r\n", "\n");
    assert!(
        out.contains("xlate-vda: sector 0: xlate virtio disk: sector zero\n"),
        "the init read /dev/vda; console:\n{out}"
    );
    assert!(
        out.contains("xlate-vda: wrote sector 1, powering off\n"),
        "console:\n{out}"
    );
    assert_eq!(status, Some(0), "console:\n{out}");
    let after = std::fs::read(&disk_path).expect("read the image");
    let note = b"written by Linux through virtio-blk\n";
    let mut want = disk.clone();
    want[512..1024].fill(0);
    want[512..512 + note.len()].copy_from_slice(note);
    assert!(
        after == want,
        "sector 1 holds the init's note, the rest is untouched (first difference at {:?})",
        after.iter().zip(&want).position(|(a, b)| a != b)
    );
}
