//! musl-linked guest programs (testsuites/musl: one source built static and dynamic against
//! Debian 12's musl 1.2.3, see scripts/build-musl.sh) under every engine, compared with
//! qemu-riscv64: stdout and exit status must agree, and the committed expectations in
//! testsuites/musl/expected must still be what qemu does.
//!
//! The cases use the file format of testsuites/linux/expected (see tests/common/mod.rs);
//! `NAME.dynamic` runs the program with `-L` and the musl sysroot named by
//! `XLATE_MUSL_SYSROOT` (scripts/build-musl.sh prints it). Without that sysroot the dynamic
//! cases are skipped with a notice, unless `XLATE_REQUIRE_MUSL=1` (CI), where that fails; the
//! static cases always run. Without qemu-riscv64, xlate is compared with the expected files
//! alone (a failure when `XLATE_REQUIRE_QEMU=1`).

use crate::common;

use common::{Output, Run, Scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testsuites")
        .join("musl")
}

struct Case {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    dynamic: bool,
    stdout: Vec<u8>,
    status: i32,
}

fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

impl Case {
    fn load(name: &str) -> Case {
        let exp = suite().join("expected");
        let file = |ext: &str| exp.join(format!("{name}.{ext}"));
        let stdout = std::fs::read(file("stdout"))
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", file("stdout").display()));
        let status_text = read(&file("status")).unwrap_or_else(|| panic!("{name}: no .status"));
        let status = status_text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: bad status {status_text:?}"));
        let bin = read(&file("bin")).map_or_else(|| name.to_string(), |b| b.trim().to_string());
        let program = suite().join("bin").join(bin);
        assert!(
            program.is_file(),
            "{name}: {} is missing",
            program.display()
        );
        let args = read(&file("args"))
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let env = read(&file("env"))
            .map(|t| {
                t.lines()
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let (k, v) = l
                            .split_once('=')
                            .unwrap_or_else(|| panic!("{name}: bad env line {l:?}"));
                        (k.to_string(), v.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Case {
            name: name.to_string(),
            program,
            args,
            env,
            dynamic: file("dynamic").exists(),
            stdout,
            status,
        }
    }

    fn run(&self, mut run: Run, label: &str) -> Output {
        let scratch = Scratch::new(&format!("musl-{}-{label}", self.name));
        run = run.arg(&self.program).args(&self.args).cwd(&scratch.path);
        for (k, v) in &self.env {
            run = run.env(k.clone(), v.clone());
        }
        run.run()
    }
}

/// The musl sysroot for the dynamic cases: `None` (after saying so) to skip; a failure when
/// XLATE_REQUIRE_MUSL=1.
fn musl_sysroot(what: &str) -> Option<PathBuf> {
    let found = std::env::var_os("XLATE_MUSL_SYSROOT")
        .map(PathBuf::from)
        .filter(|s| s.join("lib").join("ld-musl-riscv64.so.1").exists());
    if found.is_none() {
        assert!(
            !common::env_flag("XLATE_REQUIRE_MUSL"),
            "{what}: XLATE_MUSL_SYSROOT does not name a musl sysroot (with \
             lib/ld-musl-riscv64.so.1) and XLATE_REQUIRE_MUSL=1; run scripts/build-musl.sh"
        );
        eprintln!(
            "SKIPPED {what}: no musl sysroot (scripts/build-musl.sh, then \
             XLATE_MUSL_SYSROOT=OUTDIR/sysroot)"
        );
    }
    found
}

fn qemu_available() -> bool {
    let found = Command::new("qemu-riscv64")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            !common::env_flag("XLATE_REQUIRE_QEMU"),
            "qemu-riscv64 is not installed and XLATE_REQUIRE_QEMU=1"
        );
        eprintln!("NOTE: qemu-riscv64 is not installed; comparing with the expected files only");
    }
    found
}

fn describe(out: &Output) -> String {
    format!("{} / stderr: {}", out.status, out.stderr_text().trim_end())
}

/// One case: qemu agrees with the expected files, and xlate with both under every engine.
fn check(name: &str) {
    let case = Case::load(name);
    let sysroot = if case.dynamic {
        match musl_sysroot(name) {
            Some(s) => Some(s),
            None => return,
        }
    } else {
        None
    };
    let with_sysroot = |mut run: Run| {
        if let Some(s) = &sysroot {
            run = run.arg("-L").arg(s);
        }
        run
    };
    let mut failures = Vec::new();
    if qemu_available() {
        let q = case.run(with_sysroot(Run::new("qemu-riscv64")), "qemu");
        if q.status.shell_status() != Some(case.status) {
            failures.push(format!(
                "{name}: qemu-riscv64 ended with {}, expected/{name}.status says {}",
                describe(&q),
                case.status
            ));
        }
        if q.stdout != case.stdout {
            failures.push(format!(
                "{name}: qemu-riscv64 stdout differs from expected/{name}.stdout:\n{}",
                common::diff(&case.stdout, &q.stdout, 12)
            ));
        }
    }
    for engine in common::engines() {
        let mut run = Run::xlate().arg("run");
        run = with_sysroot(run);
        for a in common::engine_args(&engine) {
            run = run.arg(a);
        }
        let x = case.run(run, &engine);
        common::assert_no_panic(name, &x);
        if !x.status.matches_guest(case.status) {
            failures.push(format!(
                "[engine {engine}] {name}: expected status {}, xlate ended with {}",
                case.status,
                describe(&x)
            ));
        }
        if x.stdout != case.stdout {
            failures.push(format!(
                "[engine {engine}] {name}: stdout differs (expected = qemu, actual = xlate):\n{}",
                common::diff(&case.stdout, &x.stdout, 12)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

macro_rules! musl_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

musl_tests!(
    musl_static,
    musl_dyn,
    musl_exit_42,
    musl_dyn_exit_3,
    musl_abort,
    musl_bad_option,
);

/// The list above, the expected files and the built programs agree.
#[test]
fn every_musl_case_is_listed() {
    let mut names: Vec<String> = std::fs::read_dir(suite().join("expected"))
        .expect("testsuites/musl/expected")
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".stdout").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed, names,
        "musl_tests! list and expected/*.stdout differ"
    );
    for entry in std::fs::read_dir(suite().join("bin")).expect("testsuites/musl/bin") {
        let bin = entry.expect("dir entry").file_name();
        let used = names.iter().any(|n| {
            Case::load(n)
                .program
                .file_name()
                .is_some_and(|f| f == bin.as_os_str())
        });
        assert!(used, "bin/{bin:?} has no test case");
    }
}

/// The committed programs are what the test says they are: riscv64 ELFs linked with musl (the
/// dynamic one asks for musl's dynamic linker, the static one has no interpreter).
#[test]
fn programs_are_musl_linked() {
    let interp = |name: &str| {
        let data = std::fs::read(suite().join("bin").join(name)).expect("program");
        assert_eq!(&data[..4], b"\x7fELF", "{name} is not an ELF file");
        assert_eq!(
            u16::from_le_bytes([data[18], data[19]]),
            243,
            "{name}: not RISC-V"
        );
        let needle = b"/lib/ld-musl-riscv64.so.1";
        let has_musl_ldso = data.windows(needle.len()).any(|w| w == needle);
        let has_glibc_ldso = data.windows(7).any(|w| w == b"ld-linux");
        (has_musl_ldso, has_glibc_ldso)
    };
    assert_eq!(interp("musl_dyn"), (true, false));
    assert_eq!(interp("musl_static"), (false, false));
}
