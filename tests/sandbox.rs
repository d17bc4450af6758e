//! The sandbox of `xlate run`: `--root DIR` (the guest's `/`), `--read-only` and
//! `--no-network`. A guest program written to escape (testsuites/linux/src/sbx_escape.c) runs
//! inside a fresh temporary root and must see only what is inside; files next to the root on
//! the host must stay untouched. Normal programs still run under `--root`.

use crate::common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{Run, Scratch, Status};

/// A jail: `<scratch>/root` with the escape program, a decoy /etc/passwd and symlinks that
/// point outwards, and `<scratch>/outside.txt` next to it.
struct Jail {
    scratch: Scratch,
}

impl Jail {
    fn new(label: &str) -> Jail {
        let scratch = Scratch::new(label);
        let root = scratch.path.join("root");
        for d in ["bin", "etc", "d"] {
            std::fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        for prog in ["sbx_escape", "hello", "fileio"] {
            std::fs::copy(common::bin_dir().join(prog), root.join("bin").join(prog))
                .expect("copy program");
        }
        std::fs::write(root.join("etc/passwd"), "inside\n").expect("write decoy");
        std::fs::write(scratch.path.join("outside.txt"), "outside\n").expect("write outside");
        symlink("/etc", root.join("abs")).expect("symlink");
        symlink("../../../../../../../../etc", root.join("rel")).expect("symlink");
        symlink("../../..", root.join("d/up")).expect("symlink");
        // An absolute host path: the most direct way out if the host resolved it.
        symlink(scratch.path.join("outside.txt"), root.join("d/out")).expect("symlink");
        Jail { scratch }
    }

    fn root(&self) -> PathBuf {
        self.scratch.path.join("root")
    }

    fn outside(&self) -> PathBuf {
        self.scratch.path.join("outside.txt")
    }
}

fn xlate(engine: &str, jail: &Jail) -> Run {
    Run::xlate()
        .arg("run")
        .args(common::engine_args(engine))
        .arg("--root")
        .arg(jail.root())
}

const ESCAPE_EXPECTED: &str = r#"cwd: /
open /etc/passwd: "inside"
open /../../../../../../etc/passwd: "inside"
open ../../../../../../etc/passwd: "inside"
open /abs/passwd: "inside"
open /rel/passwd: "inside"
open /d/up/etc/passwd: "inside"
open /proc/self/root/etc/passwd: ENOENT
open /proc/self/fd/0: ENOENT
open /proc/1/root/etc/passwd: ENOENT
open ../outside.txt: ENOENT
open /d/out: ENOENT
open ../../../etc/passwd: "inside"
open up/etc/passwd: "inside"
fchdir /d: ok
cwd: /d
chdir ../../..: ok
cwd: /
chdir /abs: ok
cwd: /etc
chdir /: ok
stat /abs/passwd: size 7
readlink /abs: /etc
mkdir /../escaped: ok
lstat /escaped: exists
symlink / as /d/rootlink: ok
open /d/rootlink/etc/passwd: "inside"
open /d/rootlink/../outside.txt: ENOENT
unlink ../outside.txt: ENOENT
unlink /d/up/../outside.txt: ENOENT
unlinkat(/d, ../../outside.txt): ENOENT
rename /etc/passwd to /../stolen: ok
lstat /stolen: exists
rename /stolen back: ok
link /abs/passwd to /rel/../../hardlink: ok
lstat /hardlink: exists
symlink /d/out to ../outside.txt: ok
open /d/out2: ENOENT
chmod /d/out: ENOENT
truncate /d/out: ENOENT
rmdir /..: EINVAL
mknod a character device: EPERM
mknod a FIFO: ok
kill(1, 0): EPERM
kill(-1, 0): EPERM
kill(getppid(), 0): EPERM
kill(self, 0): ok
socket(AF_INET): EACCES
socket(AF_UNIX): EACCES
"#;

/// What the host must still look like after an escape attempt.
fn assert_host_untouched(jail: &Jail) {
    assert_eq!(
        std::fs::read_to_string(jail.outside()).ok().as_deref(),
        Some("outside\n"),
        "the file outside the root was changed"
    );
    let mut names: Vec<String> = std::fs::read_dir(&jail.scratch.path)
        .expect("read scratch")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["outside.txt", "root"],
        "something was created outside the root"
    );
    assert_eq!(
        std::fs::read_to_string("/etc/passwd")
            .map(|s| s.starts_with("inside"))
            .ok(),
        Some(false)
    );
}

#[test]
fn escape_attempts_stay_inside_the_root() {
    for engine in common::engines() {
        let jail = Jail::new("sbx-escape");
        let out = xlate(&engine, &jail)
            .arg("--no-network")
            .arg(jail.root().join("bin/sbx_escape"))
            .arg("jailed")
            .run();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status,
            Status::Code(0),
            "[{engine}] {}",
            out.stderr_text()
        );
        if text != ESCAPE_EXPECTED {
            panic!(
                "[{engine}] stdout differs:\n{}",
                common::diff(ESCAPE_EXPECTED.as_bytes(), &out.stdout, 20)
            );
        }
        assert_host_untouched(&jail);
        // What the guest did inside happened inside.
        assert!(jail.root().join("escaped").is_dir());
        assert!(jail.root().join("hardlink").is_file());
        assert_eq!(
            std::fs::read_to_string(jail.root().join("etc/passwd"))
                .ok()
                .as_deref(),
            Some("inside\n")
        );
    }
}

#[test]
fn read_only_refuses_every_change() {
    let jail = Jail::new("sbx-ro");
    let out = xlate("interp", &jail)
        .arg("--read-only")
        .arg(jail.root().join("bin/sbx_escape"))
        .args(["jailed", "ro"])
        .run();
    assert_eq!(out.status, Status::Code(0), "{}", out.stderr_text());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "open /etc/passwd: \"inside\"\n\
         create /new: EROFS\n\
         open /etc/passwd for writing: EROFS\n\
         truncate /etc/passwd: EROFS\n\
         mkdir /newdir: EROFS\n\
         unlink /etc/passwd: EROFS\n\
         rename /etc/passwd: EROFS\n\
         symlink /s: EROFS\n\
         chmod /etc/passwd: EROFS\n\
         write to stdout: ok\n\
         open /etc/passwd: \"inside\"\n"
    );
    assert!(!jail.root().join("new").exists());
    assert_host_untouched(&jail);
}

/// Without --no-network a socket is not refused by the sandbox (the syscall layer decides).
#[test]
fn sockets_are_refused_only_with_no_network() {
    let jail = Jail::new("sbx-net");
    let out = xlate("interp", &jail)
        .arg(jail.root().join("bin/sbx_escape"))
        .arg("jailed")
        .run();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("socket(AF_INET): EACCES"), "{text}");
}

/// Ordinary programs work inside a root: a static one writing, reading and removing files in
/// its working directory (the root), and hello.
#[test]
fn normal_programs_run_inside_a_root() {
    for engine in common::engines() {
        let jail = Jail::new("sbx-normal");
        let out = xlate(&engine, &jail)
            .arg(jail.root().join("bin/hello"))
            .run();
        assert_eq!(out.status, Status::Code(0), "[{engine}] {out:?}");
        assert_eq!(
            out.stdout,
            std::fs::read(common::expected_dir().join("hello.stdout")).expect("hello.stdout")
        );
        // fileio expects to run below `/`: it starts in /work, the current directory.
        let case = common::Case::load("fileio");
        std::fs::create_dir(jail.root().join("work")).expect("mkdir work");
        let out = xlate(&engine, &jail)
            .arg(jail.root().join("bin/fileio"))
            .cwd(jail.root().join("work"))
            .run();
        assert!(
            out.status.matches_guest(case.expected_status),
            "[{engine}] {out:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&case.expected_stdout),
            "[{engine}]"
        );
        assert_host_untouched(&jail);
    }
}

#[test]
fn a_root_that_is_not_a_directory_is_a_usage_error() {
    let jail = Jail::new("sbx-bad");
    for root in [jail.outside(), jail.scratch.path.join("missing")] {
        let out = Run::xlate()
            .arg("run")
            .arg("--root")
            .arg(&root)
            .arg(common::bin_dir().join("hello"))
            .run();
        assert_eq!(out.status, Status::Code(2), "{out:?}");
        let err = out.stderr_text();
        assert!(
            err.starts_with("xlate: cannot use ") && err.lines().count() == 1,
            "{err}"
        );
    }
    let _ = Path::new("/");
}
