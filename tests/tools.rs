//! Tests of the tools for people who use and debug xlate: `xlate disasm` (checked against
//! xlate's own decoder), tracing, perf maps and profiles, block dumps, binfmt_misc
//! registration lines and help texts. Every test asserts exact output.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use capstone::arch::riscv::{ArchExtraMode, ArchMode};
use capstone::arch::{BuildsCapstone, BuildsCapstoneExtraMode};
use capstone::Capstone;
use object::{Object, ObjectSection, SectionKind};
use translator::decode::Table;
use translator::interp::{Interp, NoEnv};
use translator::{Cause, Exception};

fn xlate(args: &[&str]) -> std::process::Output {
    Command::new(common::xlate())
        .args(args)
        .output()
        .expect("run xlate")
}

fn tool_demo() -> PathBuf {
    common::bin_dir().join("tool_demo")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- xlate disasm ---------------------------------------------------------------------------

/// The listing of a known function, exactly (the committed tool_demo binary).
#[test]
fn disasm_known_function() {
    let out = xlate(&[
        "disasm",
        "--addr",
        "checksum",
        tool_demo().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let expected = "
0000000000010182 <checksum>:
   10182:\t88aa    \tc.mv\ta7, a0
   10184:\t4801    \tc.li\ta6, 0
   10186:\tc61d    \tc.beqz\ta2, 0x2e\t# 101b4 <checksum+0x32>
   10188:\tc19d    \tc.beqz\ta1, 0x26\t# 101ae <checksum+0x2c>
   1018a:\t6785    \tc.lui\ta5, 1
   1018c:\t50578513\taddi\ta0, a5, 0x505
   10190:\t95c6    \tc.add\ta1, a7
   10192:\t87c6    \tc.mv\ta5, a7
   10194:\t0007c703\tlbu\ta4, 0(a5)
   10198:\t00551693\tslli\ta3, a0, 5
   1019c:\t9536    \tc.add\ta0, a3
   1019e:\t0785    \tc.addi\ta5, 1
   101a0:\t953a    \tc.add\ta0, a4
   101a2:\tfeb799e3\tbne\ta5, a1, -0xe\t# 10194 <checksum+0x12>
   101a6:\t2805    \tc.addiw\ta6, 1
   101a8:\tff0615e3\tbne\ta2, a6, -0x16\t# 10192 <checksum+0x10>
   101ac:\t8082    \tc.jr\tra
   101ae:\t2805    \tc.addiw\ta6, 1
   101b0:\tff061fe3\tbne\ta2, a6, -2\t# 101ae <checksum+0x2c>
   101b4:\t6505    \tc.lui\ta0, 1
   101b6:\t50550513\taddi\ta0, a0, 0x505
   101ba:\t8082    \tc.jr\tra
";
    assert_eq!(text(&out.stdout), expected);
}

/// `--addr` with a number and `--count`; the whole-file listing labels every function.
#[test]
fn disasm_addr_count_and_labels() {
    let out = xlate(&[
        "disasm",
        "--addr",
        "0x1017c",
        "--count",
        "2",
        tool_demo().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\n000000000001017c <add3>:\n   1017c:\t952e    \tc.add\ta0, a1\n   1017e:\t9532    \tc.add\ta0, a2\n"
    );
    let out = xlate(&["disasm", tool_demo().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let all = text(&out.stdout);
    for label in [
        "0000000000010120 <main>:",
        "000000000001017c <add3>:",
        "0000000000010182 <checksum>:",
        "00000000000101bc <cstart>:",
    ] {
        assert!(all.lines().any(|l| l == label), "{label} missing:\n{all}");
    }
    assert!(all.contains("\tjal\t0x3a\t# 10182 <checksum>\n"), "{all}");
}

#[test]
fn disasm_bad_input() {
    let out = xlate(&[
        "disasm",
        "--addr",
        "nosuchsym",
        tool_demo().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(
        text(&out.stderr),
        "xlate: disasm: no symbol named 'nosuchsym' and not an address\n"
    );
    let bad = common::bad_dir().join("text.txt");
    let out = xlate(&["disasm", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}

/// Capstone's mnemonic as the name of xlate's decode-table line: compressed instructions are
/// named by their 32-bit expansion (that is what xlate's table decodes), and assembler aliases
/// by the instruction they stand for.
fn canonical(mnemonic: &str, ops: &str) -> String {
    let m = mnemonic.strip_prefix("c.").unwrap_or(mnemonic);
    // Acquire/release bits of LR/SC/AMOs are printed as suffixes; xlate's table line is the
    // same for every ordering.
    let m = m
        .strip_suffix(".aqrl")
        .or_else(|| m.strip_suffix(".aq"))
        .or_else(|| m.strip_suffix(".rl"))
        .unwrap_or(m);
    let name = match m {
        // Compressed forms (RVC expansion, unprivileged spec chapter 16).
        "li" | "mv" if mnemonic.starts_with("c.") => {
            if m == "li" {
                "addi"
            } else {
                "add"
            }
        }
        "nop" | "addi16sp" | "addi4spn" => "addi",
        "lwsp" => "lw",
        "ldsp" => "ld",
        "swsp" => "sw",
        "sdsp" => "sd",
        "fldsp" => "fld",
        "fsdsp" => "fsd",
        "j" => "jal",
        "jr" | "ret" => "jalr",
        "beqz" => "beq",
        "bnez" => "bne",
        // 32-bit aliases (unprivileged spec chapter 25, "RISC-V Assembly Programmer's Handbook").
        "mv" | "li" => "addi",
        "not" => "xori",
        "neg" => "sub",
        "negw" => "subw",
        "sext.w" => "addiw",
        "seqz" => "sltiu",
        "snez" => "sltu",
        "sltz" => "slt",
        "sgtz" => "slt",
        "blez" | "bgez" | "ble" => "bge",
        "bltz" | "bgtz" | "bgt" => "blt",
        "bleu" => "bgeu",
        "bgtu" => "bltu",
        "csrr" => "csrrs",
        "csrw" => "csrrw",
        "csrs" => "csrrs",
        "csrc" => "csrrc",
        "csrwi" => "csrrwi",
        "csrsi" => "csrrsi",
        "csrci" => "csrrci",
        "frcsr" | "frrm" | "frflags" | "rdcycle" | "rdtime" | "rdinstret" => "csrrs",
        "fscsr" | "fsrm" | "fsflags" => "csrrw",
        "fsrmi" | "fsflagsi" => "csrrwi",
        "unimp" => "csrrw",
        "fmv.s" => "fsgnj.s",
        "fmv.d" => "fsgnj.d",
        "fneg.s" => "fsgnjn.s",
        "fneg.d" => "fsgnjn.d",
        "fabs.s" => "fsgnjx.s",
        "fabs.d" => "fsgnjx.d",
        "fmv.x.s" => "fmv.x.w",
        "fmv.s.x" => "fmv.w.x",
        other => other,
    };
    let _ = ops;
    name.to_string()
}

/// xlate's name for the same instruction, where the table names a special case of a more
/// general instruction (PAUSE is a FENCE hint capstone 5 does not name).
fn ours_canonical(name: &str) -> &str {
    match name {
        "pause" => "fence",
        other => other,
    }
}

/// A floating-point operation with a reserved rounding mode (101, 110): the spec makes it
/// illegal when executed, xlate decodes it and its semantics raise illegal instruction at
/// execution (the rounding mode is checked where dynamic modes are), capstone rejects it at
/// decoding. Both treat it as not executable; the ISA tests contain such encodings on purpose.
fn reserved_rm(raw: u32) -> bool {
    let fp_op = matches!(raw & 0x7f, 0x53 | 0x43 | 0x47 | 0x4b | 0x4f);
    fp_op && matches!(raw >> 12 & 7, 5 | 6)
}

/// Code sections of every committed test binary.
fn test_binaries() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testsuites");
    let mut v = Vec::new();
    for dir in [root.join("linux/bin"), root.join("isa/bin")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        v.extend(files);
    }
    v
}

/// Capstone (RISC-V, RV64GC) and xlate's decoder agree, for every instruction in the text
/// sections of the test suite's binaries, on whether it is valid, its length and (modulo
/// compressed expansion and assembler aliases) its mnemonic. The only instructions capstone 5
/// does not know are those of Zba/Zbb/Zbs (it predates their support); for those only the
/// length is compared, and the test checks xlate names them as bit-manipulation instructions.
#[test]
fn disasm_agrees_with_own_decoder() {
    let table: Table<Interp<NoEnv>> = translator::riscv::table();
    let cs = Capstone::new()
        .riscv()
        .mode(ArchMode::RiscV64)
        .extra_mode(std::iter::once(ArchExtraMode::RiscVC))
        .build()
        .unwrap();
    let zb: Vec<&str> = {
        let mut v = Vec::new();
        // Every name the Zb* module registers (decode-table lines of zb.rs).
        let src = include_str!("../translator/src/riscv/zb.rs");
        for line in src.lines() {
            let l = line.trim_start();
            if let Some(rest) = l.strip_prefix("(\"") {
                if let Some(end) = rest.find('"') {
                    v.push(&rest[..end]);
                }
            }
        }
        v
    };
    assert!(zb.contains(&"sh1add") && zb.contains(&"rev8"), "{zb:?}");

    let mut checked = 0usize;
    let mut zb_seen = 0usize;
    let mut mismatches: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for path in test_binaries() {
        let data = std::fs::read(&path).unwrap();
        let Ok(file) = object::File::parse(&*data) else {
            continue;
        };
        for sec in file.sections() {
            if sec.kind() != SectionKind::Text {
                continue;
            }
            let code = sec.data().unwrap();
            let mut off = 0usize;
            while off + 2 <= code.len() {
                let pc = sec.address() + off as u64;
                let lo = u16::from_le_bytes([code[off], code[off + 1]]);
                let hi = || -> Result<u16, Exception> {
                    match code.get(off + 2..off + 4) {
                        Some(b) => Ok(u16::from_le_bytes([b[0], b[1]])),
                        None => Err(Exception::new(Cause::InstructionAccessFault, 0)),
                    }
                };
                let Ok(d) = table.decode(lo, hi) else { break };
                let ours = d.name;
                let len = usize::from(d.insn.len);
                let theirs = cs.disasm_count(&code[off..], pc, 1).ok().and_then(|i| {
                    i.iter().next().map(|i| {
                        (
                            i.mnemonic().unwrap_or("").to_string(),
                            i.op_str().unwrap_or("").to_string(),
                            i.len(),
                        )
                    })
                });
                let what = format!("{}+{:#x} ({:#x})", path.display(), off, d.insn.bits());
                match (&theirs, ours) {
                    // Both reject it.
                    (None, "illegal") => {}
                    (None, name) if zb.contains(&name) => zb_seen += 1,
                    (None, _) if reserved_rm(d.insn.raw) => {}
                    (Some((m, o, l)), name) => {
                        let c = canonical(m, o);
                        let ok = *l == len
                            && (c == name
                                || c == ours_canonical(name)
                                // c.unimp (0x0000) is the defined-illegal encoding.
                                || (name == "illegal" && m == "c.unimp"));
                        if !ok {
                            let key = format!("xlate {name}/{len} vs capstone {m}/{l}");
                            let e = mismatches.entry(key).or_insert((0, what.clone()));
                            e.0 += 1;
                        }
                    }
                    (None, name) => {
                        let key = format!("xlate {name}/{len} vs capstone invalid");
                        let e = mismatches.entry(key).or_insert((0, what.clone()));
                        e.0 += 1;
                    }
                }
                checked += 1;
                off += len;
            }
        }
    }
    let report: Vec<String> = mismatches
        .iter()
        .map(|(k, (n, ex))| format!("{n:6} x {k}  e.g. {ex}"))
        .collect();
    assert!(
        report.is_empty(),
        "{} disagreements in {checked} instructions:\n{}",
        report.len(),
        report.join("\n")
    );
    // The suite is large: a decoder that stopped early would make this test vacuous.
    assert!(checked > 100_000, "only {checked} instructions checked");
    assert!(zb_seen > 100, "only {zb_seen} Zb* instructions seen");
    eprintln!("{checked} instructions agree ({zb_seen} Zb* compared by length only)");
}

// ---- tracing --------------------------------------------------------------------------------

/// Runs tool_demo under `engine` with extra options; returns (status, stdout, stderr).
fn demo(engine: &str, opts: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(common::xlate());
    cmd.arg("run")
        .args(common::engine_args(engine))
        .args(opts)
        .arg(tool_demo())
        .env_remove("XLATE_LOG");
    let out = cmd.output().expect("run xlate");
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

const DEMO_STDOUT: &str = "hello from tool_demo\n";
/// Instructions tool_demo retires (`--stats` reports the same under every engine).
const DEMO_INSNS: u64 = 2_580_056;

const DEMO_SYSCALLS: &str = "\
xlate::syscall: pc=0x1013a nr=64 args=(0x1, 0x101e0, 0x15, 0x0, 0x0, 0x101e0)
xlate::syscall: nr=64 = 21
xlate::syscall: pc=0x101d6 nr=94 args=(0x7, 0x0, 0x0, 0xcd1eff43d63a0360, 0x11154, 0x7)
";

#[test]
fn trace_syscall_to_stderr_not_stdout() {
    for engine in common::engines() {
        let (st, out, err) = demo(&engine, &["--trace", "syscall"]);
        assert_eq!(st, Some(7), "{engine}");
        assert_eq!(
            out, DEMO_STDOUT,
            "{engine}: the guest's stdout is untouched"
        );
        assert_eq!(err, DEMO_SYSCALLS, "{engine}");
    }
}

#[test]
fn trace_to_log_file_and_xlate_log_filter() {
    let dir = tempdir("trace_log");
    let log = dir.join("trace.txt");
    let (st, out, err) = demo(
        "jit",
        &["--trace", "syscall", "--log", log.to_str().unwrap()],
    );
    assert_eq!((st, out.as_str(), err.as_str()), (Some(7), DEMO_STDOUT, ""));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), DEMO_SYSCALLS);
    // XLATE_LOG alone (a tracing filter) turns the category on.
    let out = Command::new(common::xlate())
        .args(["run", tool_demo().to_str().unwrap()])
        .env("XLATE_LOG", "xlate::syscall=info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), DEMO_STDOUT);
    assert_eq!(text(&out.stderr), DEMO_SYSCALLS);
    // A bad category is a command-line error.
    let (st, _, err) = demo("jit", &["--trace", "sycall"]);
    assert_eq!(st, Some(2));
    assert!(
        err.contains(
            "unknown trace category 'sycall' (use exec, block, syscall, mmio, trap or all)"
        ),
        "{err}"
    );
}

#[test]
fn trace_exec_logs_every_instruction() {
    let dir = tempdir("trace_exec");
    let log = dir.join("exec.txt");
    let (st, out, _) = demo("jit", &["--trace", "exec", "--log", log.to_str().unwrap()]);
    assert_eq!((st, out.as_str()), (Some(7), DEMO_STDOUT));
    let log = std::fs::read_to_string(&log).unwrap();
    let first: Vec<&str> = log.lines().take(4).collect();
    assert_eq!(
        first,
        [
            "xlate::exec: 0x10176: 850a add (instret 0)",
            "xlate::exec: 0x10178: 044000ef jal (instret 1)",
            "xlate::exec: 0x101bc: 85aa add (instret 2)",
            "xlate::exec: 0x101be: 4108 lw (instret 3)",
        ]
    );
    // One line per instruction retired, exactly.
    assert_eq!(log.lines().count() as u64, DEMO_INSNS);
    assert_eq!(
        log.lines().last(),
        Some("xlate::exec: 0x101d6: 00000073 ecall (instret 2580055)")
    );
}

#[test]
fn trace_block_and_trap() {
    for engine in common::engines() {
        let (st, out, err) = demo(&engine, &["--trace", "block"]);
        assert_eq!((st, out.as_str()), (Some(7), DEMO_STDOUT), "{engine}");
        // Block shapes differ between engines (interpreter blocks, JIT regions): the first
        // block is _start at instret 0 and every later block starts at a larger instret.
        let blocks: Vec<(u64, u64)> = err
            .lines()
            .filter_map(|l| l.strip_prefix("xlate::block: 0x"))
            .map(|l| {
                let (pc, rest) = l.split_once(" (instret ").expect("block line");
                let n = rest.trim_end_matches(')');
                (
                    u64::from_str_radix(pc, 16).expect("hex pc"),
                    n.parse().expect("instret"),
                )
            })
            .collect();
        assert_eq!(blocks.first(), Some(&(0x10176, 0)), "{engine}: {err}");
        assert!(blocks.len() >= 3, "{engine}: {err}");
        assert!(
            blocks.windows(2).all(|w| w[0].1 < w[1].1),
            "{engine}: instret must grow: {err}"
        );
        // A guest fault: memfault ends by SIGSEGV, the trap is logged with its cause.
        let out = Command::new(common::xlate())
            .arg("run")
            .args(common::engine_args(&engine))
            .args(["--trace", "trap"])
            .arg(common::bin_dir().join("memfault"))
            .output()
            .unwrap();
        let err = text(&out.stderr);
        let traps: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("xlate::trap:"))
            .collect();
        assert_eq!(traps.len(), 1, "{engine}: {err}");
        // The load from the unmapped page.
        assert!(
            traps[0].contains(" cause=LoadPageFault "),
            "{engine}: {}",
            traps[0]
        );
        assert!(traps[0].contains(" signal=11 "), "{}", traps[0]);
    }
}

// ---- profiling ------------------------------------------------------------------------------

#[test]
fn profile_names_hottest_function() {
    // The interpreter's blocks are deterministic, so the whole report is exact. Instructions
    // count to the function where their block starts (blocks follow forward calls and
    // continue past not-taken branches: add3's 3 instructions count to main).
    let (st, out, err) = demo("interp", &["--profile"]);
    assert_eq!((st, out.as_str()), (Some(7), DEMO_STDOUT));
    assert_eq!(
        err,
        "\
xlate: profile: 2580056 guest instructions retired
xlate: profile: hottest functions (instructions, share):
xlate: profile:      2579994 100.00%  checksum
xlate: profile:           47   0.00%  main
xlate: profile:            8   0.00%  _start
xlate: profile:            5   0.00%  cstart
xlate: profile: hottest blocks (instructions, share):
xlate: profile:      2440001  94.57%  0x10194 <checksum+0x12>
xlate: profile:       139993   5.43%  0x10192 <checksum+0x10>
xlate: profile:           19   0.00%  0x1013e <main+0x1e>
xlate: profile:           10   0.00%  0x10120 <main>
xlate: profile:           10   0.00%  0x1014c <main+0x2c>
xlate: profile:            8   0.00%  0x10160 <main+0x40>
xlate: profile:            8   0.00%  0x10176 <_start>
xlate: profile:            5   0.00%  0x101ca <cstart+0xe>
"
    );
    // The JIT's superblocks group differently, the totals and the hottest function agree.
    for engine in ["jit", "jit-eager"] {
        let (st, _, err) = demo(engine, &["--profile"]);
        assert_eq!(st, Some(7));
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines[0],
            "xlate: profile: 2580056 guest instructions retired"
        );
        let hottest: u64 = lines[2]
            .trim_start_matches("xlate: profile:")
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            hottest > 2_500_000 && lines[2].ends_with("%  checksum"),
            "{engine}: {err}"
        );
    }
}

#[test]
fn perf_map_names_guest_functions() {
    let child = Command::new(common::xlate())
        .args(["run", "--jit-threshold", "1", "--perf-map"])
        .arg(tool_demo())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), DEMO_STDOUT);
    let path = PathBuf::from(format!("/tmp/perf-{pid}.map"));
    let map = std::fs::read_to_string(&path).expect("perf map written");
    let _ = std::fs::remove_file(&path);
    let mut names = Vec::new();
    for line in map.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 3, "START SIZE NAME: {line}");
        let start = u64::from_str_radix(f[0], 16).expect("hex start");
        let size = u64::from_str_radix(f[1], 16).expect("hex size");
        assert!(start > 0 && size > 0, "{line}");
        names.push(f[2].to_string());
    }
    assert!(
        names
            .iter()
            .any(|n| n == "main" || n.starts_with("main+0x")),
        "no block of main: {map}"
    );
    assert!(names.iter().any(|n| n == "_start"), "{map}");
    // Regions follow calls, so checksum's loop may sit inside a region named after main.
    assert!(names.len() >= 3, "{map}");
}

#[test]
fn dump_blocks_shows_guest_ir_and_host_code() {
    let dir = tempdir("dump_blocks");
    let f = dir.join("blocks.txt");
    let (st, out, _) = demo("jit-eager", &["--dump-blocks", f.to_str().unwrap()]);
    assert_eq!((st, out.as_str()), (Some(7), DEMO_STDOUT));
    let dump = std::fs::read_to_string(&f).unwrap();
    let first = dump.split("\n\n").next().unwrap();
    assert!(
        first.starts_with("==== block 0x10176 <_start>: 28 guest instructions, "),
        "{first}"
    );
    for needle in [
        "---- guest (riscv64)\n   10176:\t850a    \tc.mv\ta0, sp\n   10178:\t044000ef\tjal\t0x44\t# 101bc <cstart>\n",
        "   1013a:\t00000073\tecall\n   1017c:\t952e    \tc.add\ta0, a1\n",
        // (The region goes on at the return addresses of its calls, after the callees.)
        "   101d6:\t00000073\tecall\n---- cranelift ir\nfunction u0:0(i64, i64) -> i64 tail {\n",
        "---- host (x86-64)\n",
    ] {
        assert!(dump.contains(needle), "missing {needle:?} in\n{first}");
    }
    let blocks = dump.matches("==== block ").count();
    // _start's region (which follows its calls into main and back), the pieces of main it
    // did not take, and checksum's loop region, at least.
    assert!(blocks >= 3, "{blocks} blocks");
    // Host code is real x86-64: every block's listing ends in a return or a jump.
    assert!(
        dump.contains("\tret\t") || dump.contains("\tjmp"),
        "{first}"
    );
}

// ---- binfmt_misc ----------------------------------------------------------------------------

#[test]
fn binfmt_dry_run_line() {
    let out = xlate(&[
        "binfmt",
        "install",
        "--dry-run",
        "--interpreter",
        "/usr/local/bin/xlate-binfmt",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        ":xlate-riscv64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/local/bin/xlate-binfmt:POF\n"
    );
    let out = xlate(&["binfmt", "uninstall", "--dry-run"]);
    assert_eq!(
        text(&out.stdout),
        "echo -1 > /proc/sys/fs/binfmt_misc/xlate-riscv64\n"
    );
}

/// Invoked as `xlate-binfmt` the way binfmt_misc does with the P flag
/// (`interp path argv0 args...`), xlate runs the program with the preserved argv[0].
#[test]
fn binfmt_interpreter_argument_layout() {
    let dir = tempdir("binfmt");
    let link = dir.join("xlate-binfmt");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(common::xlate(), &link).unwrap();
    let out = Command::new(&link)
        .arg(common::bin_dir().join("auxv"))
        .args(["/some/where/myprog", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("argc=2\nargv[0] basename=myprog\nargv[1]=[x] len=1\n"),
        "{stdout}"
    );
}

// ---- help and version -----------------------------------------------------------------------

#[test]
fn version_names_guests_and_cranelift() {
    let out = xlate(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let v = text(&out.stdout);
    let lock =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
    let cl = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"cranelift-codegen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"'))
        .unwrap();
    assert_eq!(
        v,
        format!(
            "xlate {}\nguests: riscv64 Linux user mode (RV64GC + Zba/Zbb/Zbs; xlate run), riscv64 bare-metal M/S/U hart (xlate run --bare, xlate test)\nhost: x86-64 Linux\nJIT: Cranelift {cl}\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn help_has_examples() {
    for cmd in [
        &["--help"][..],
        &["run", "--help"],
        &["disasm", "--help"],
        &["binfmt", "--help"],
    ] {
        let out = xlate(cmd);
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        let h = text(&out.stdout);
        let ex = h
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{cmd:?}: {h}"));
        assert!(ex.lines().count() >= 3, "{cmd:?}: {ex}");
        assert!(
            ex.lines()
                .all(|l| l.starts_with("  ") && l.contains("xlate")),
            "{cmd:?}: {ex}"
        );
    }
}

/// A fresh directory under the target dir for one test's files.
fn tempdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tools-{name}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}
