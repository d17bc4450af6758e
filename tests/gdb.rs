//! The GDB remote stub (`xlate run -g PORT`, `xlate boot -g PORT`), driven by Debian's
//! `gdb-multiarch` in batch mode: breakpoints at `main` with its source line, registers
//! (integer, F/D, fcsr, CSRs and privilege level in system mode), memory reads and writes,
//! single step, software and hardware breakpoints, write and read watchpoints, the exit
//! reported to gdb and passed through as xlate's status; and Ctrl-C, through a minimal
//! remote-protocol client. Every transcript line is asserted exactly. Mandatory in CI with
//! `XLATE_REQUIRE_GDB=1`; skipped (saying so) when `gdb-multiarch` is missing otherwise.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use object::{Object, ObjectSymbol};

const GDB: &str = "gdb-multiarch";

/// `true` to go on; `false` (after saying so) when gdb-multiarch is missing, unless
/// `XLATE_REQUIRE_GDB=1`, where that is a failure.
fn require_gdb(what: &str) -> bool {
    let ok = Command::new(GDB)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    assert!(
        !common::env_flag("XLATE_REQUIRE_GDB"),
        "{what}: {GDB} is missing and XLATE_REQUIRE_GDB=1"
    );
    eprintln!("SKIPPED {what}: {GDB} is missing (install gdb-multiarch)");
    false
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gdb_demo() -> PathBuf {
    common::bin_dir().join("gdb_demo")
}

fn gdb_boot() -> PathBuf {
    repo().join("testsuites/boot/bin/gdb-boot")
}

/// The address of `name` in the ELF file `path`.
fn symbol(path: &Path, name: &str) -> u64 {
    let data = std::fs::read(path).expect("read ELF");
    let f = object::File::parse(&*data).expect("parse ELF");
    f.symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("no symbol {name} in {}", path.display()))
        .address()
}

/// Length in bytes of the instruction at `addr` (2 compressed, 4 otherwise).
fn insn_len(path: &Path, addr: u64) -> u64 {
    use object::ObjectSection;
    let data = std::fs::read(path).expect("read ELF");
    let f = object::File::parse(&*data).expect("parse ELF");
    let text = f.section_by_name(".text").expect(".text");
    let bytes = text.data().expect("text data");
    let lo = bytes[(addr - text.address()) as usize];
    if lo & 3 == 3 {
        4
    } else {
        2
    }
}

/// An xlate waiting for gdb, with its stdout and the rest of its stderr collected.
struct Stub {
    child: Child,
    port: u16,
    stdout: thread::JoinHandle<Vec<u8>>,
    stderr: thread::JoinHandle<Vec<u8>>,
}

/// Starts `xlate ARGS` (which include `-g PORT` through `XLATE_GDB`) on a free port and waits
/// until it says it is listening. Retries with another port when the one picked was taken
/// in the meantime.
fn start_stub(args: &[String]) -> Stub {
    for _ in 0..5 {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            l.local_addr().expect("local addr").port()
        };
        let mut child = Command::new(common::xlate())
            .args(args)
            .env("XLATE_GDB", port.to_string())
            .current_dir(repo())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn xlate");
        let mut out = child.stdout.take().expect("stdout");
        let mut err = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        err.read_line(&mut first).expect("read xlate's stderr");
        let expected = format!("xlate: waiting for gdb on 127.0.0.1:{port}\n");
        if first != expected {
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                first.contains("cannot listen"),
                "unexpected first stderr line {first:?}"
            );
            continue;
        }
        let stdout = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out.read_to_end(&mut v);
            v
        });
        let stderr = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err.read_to_end(&mut v);
            v
        });
        return Stub {
            child,
            port,
            stdout,
            stderr,
        };
    }
    panic!("no free port after 5 tries");
}

impl Stub {
    /// Waits (60 s at most) for xlate to end: its exit code, stdout and stderr.
    fn finish(self) -> (Option<i32>, String, String) {
        let (s, out, err) = self.finish_status();
        (s.code(), out, err)
    }

    /// Waits (60 s at most) for xlate to end: how it ended, stdout and stderr.
    fn finish_status(mut self) -> (std::process::ExitStatus, String, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait xlate") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("xlate did not end after gdb finished");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let out = String::from_utf8_lossy(&self.stdout.join().expect("stdout")).into_owned();
        let err = String::from_utf8_lossy(&self.stderr.join().expect("stderr")).into_owned();
        (status, out, err)
    }
}

/// Runs gdb-multiarch in batch mode on `program` against `port` with the commands `cmds`;
/// returns its standard output (the transcript).
fn gdb_batch(program: &Path, port: u16, cmds: &[&str]) -> String {
    let mut cmd = Command::new(GDB);
    cmd.current_dir(repo())
        .args([
            "-nx",
            "-batch",
            "-ex",
            "set confirm off",
            "-ex",
            "set width 0",
        ])
        .args(["-ex", "directory testsuites"])
        .args(["-ex", &format!("target remote :{port}")]);
    for c in cmds {
        cmd.args(["-ex", c]);
    }
    cmd.arg(program).stdin(Stdio::null());
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gdb");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("gdb did not finish in 120 s")
        .expect("gdb output");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "gdb failed: {:?}\nstdout:\n{text}\nstderr:\n{err}",
        out.status
    );
    text
}

/// Checks that `lines` appear in the transcript, in this order, each as a whole line.
fn assert_lines(transcript: &str, lines: &[String]) {
    let all: Vec<&str> = transcript.lines().collect();
    let mut at = 0;
    for want in lines {
        match all[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => {
                panic!("line {want:?} not found (in order) in the gdb transcript:\n{transcript}")
            }
        }
    }
}

fn engine_args(engine: &str) -> Vec<String> {
    vec!["--engine".into(), engine.into()]
}

/// Break at main (with its source line), read a0 and pc, step one instruction, read memory
/// and the F/D register ft0 and fcsr, list the thread, continue to the exit.
fn break_step_read(engine: &str) {
    let what = format!("gdb break/step/read under {engine}");
    if !require_gdb(&what) {
        return;
    }
    let prog = gdb_demo();
    let main = symbol(&prog, "main");
    let bytes = symbol(&prog, "bytes");
    let mut args = vec!["run".to_string()];
    args.extend(engine_args(engine));
    args.push(prog.to_str().expect("path").into());
    let stub = start_stub(&args);
    let t = gdb_batch(
        &prog,
        stub.port,
        &[
            "break main",
            "continue",
            "info registers a0",
            "p/x $pc",
            "stepi",
            "p/x $pc",
            "x/4xb &bytes",
            "info registers ft0",
            "info registers fcsr",
            "info threads",
            "continue",
        ],
    );
    let (status, out, err) = stub.finish();
    // `break main` lands after main's prologue, on line 27; its address is the pc printed.
    let bp_line = t
        .lines()
        .find(|l| l.starts_with("Breakpoint 1 at 0x"))
        .unwrap_or_else(|| panic!("no breakpoint line:\n{t}"));
    let bp_addr = u64::from_str_radix(
        bp_line
            .trim_start_matches("Breakpoint 1 at 0x")
            .split(':')
            .next()
            .expect("address"),
        16,
    )
    .expect("hex address");
    assert!(
        bp_addr > main && bp_addr < main + 32,
        "breakpoint {bp_addr:#x} not just after main's prologue ({main:#x})"
    );
    let next = bp_addr + insn_len(&prog, bp_addr);
    assert_lines(
        &t,
        &[
            format!("Breakpoint 1 at {bp_addr:#x}: file ./linux/src/gdb_demo.c, line 27."),
            "27\t    bump(argc + 2);".into(),
            "a0             0x1\t1".into(),
            format!("$1 = {bp_addr:#x}"),
            format!("{next:#018x}\t27\t    bump(argc + 2);"),
            format!("$2 = {next:#x}"),
            format!("{bytes:#x} <bytes>:\t0xde\t0xad\t0xbe\t0xef"),
            "ft0            {float = 0, double = 1.5}\t(raw 0x3ff8000000000000)".into(),
            "fcsr           0x0\tNV:0 DZ:0 OF:0 UF:0 NX:0 FRM:0 [RNE (round to nearest; ties to even)]".into(),
            "[Inferior 1 (process 1) exited with code 07]".into(),
        ],
    );
    let hit = t
        .lines()
        .find(|l| l.starts_with("Breakpoint 1, main (argc=1, argv=0x"))
        .unwrap_or_else(|| panic!("breakpoint not hit in main:\n{t}"));
    assert!(
        hit.ends_with(") at ./linux/src/gdb_demo.c:27"),
        "breakpoint hit line: {hit}"
    );
    let thread = t
        .lines()
        .find(|l| l.starts_with("* 1    Thread 1."))
        .unwrap_or_else(|| panic!("no thread listed:\n{t}"));
    assert!(
        thread.contains(&format!("{next:#018x} in main (argc=1")),
        "{thread}"
    );
    assert_eq!(out, "gdb_demo done\n", "guest stdout; stderr: {err}");
    assert_eq!(status, Some(7), "xlate status; stderr: {err}");
}

#[test]
fn break_step_read_interp() {
    break_step_read("interp");
}

#[test]
fn break_step_read_jit() {
    break_step_read("jit");
}

/// A write watchpoint (old and new value), a read watchpoint, a hardware breakpoint, and
/// writes to memory, an F/D register and fcsr that the guest then sees (its exit status is
/// the counter gdb changed).
fn watch_and_write(engine: &str) {
    let what = format!("gdb watchpoints under {engine}");
    if !require_gdb(&what) {
        return;
    }
    let prog = gdb_demo();
    let bump = symbol(&prog, "bump");
    let mut args = vec!["run".to_string()];
    args.extend(engine_args(engine));
    args.push(prog.to_str().expect("path").into());
    let stub = start_stub(&args);
    let t = gdb_batch(
        &prog,
        stub.port,
        &[
            "break main",
            "continue",
            "watch counter",
            "continue",
            "delete",
            "hbreak bump",
            "continue",
            "info registers a0",
            "delete",
            "set var counter = 100",
            "p counter",
            "rwatch counter",
            "continue",
            "delete",
            "set $ft1 = 2.25",
            "p $ft1",
            "set $fcsr = 0x41",
            "info registers fflags frm",
            "continue",
        ],
    );
    let (status, out, err) = stub.finish();
    // `hbreak bump` lands after bump's prologue.
    let hb = t
        .lines()
        .find_map(|l| l.strip_prefix("Hardware assisted breakpoint 3 at 0x"))
        .and_then(|l| l.split(':').next())
        .and_then(|a| u64::from_str_radix(a, 16).ok())
        .unwrap_or_else(|| panic!("no hardware breakpoint line:\n{t}"));
    assert!(
        hb > bump && hb < bump + 32,
        "{hb:#x} not in bump ({bump:#x})"
    );
    assert_lines(
        &t,
        &[
            "Hardware watchpoint 2: counter".into(),
            "Old value = 0".into(),
            "New value = 3".into(),
            "bump (n=3) at ./linux/src/gdb_demo.c:21".into(),
            "21\t    return counter;".into(),
            format!(
                "Hardware assisted breakpoint 3 at {hb:#x}: file ./linux/src/gdb_demo.c, line 20."
            ),
            "Breakpoint 3, bump (n=4) at ./linux/src/gdb_demo.c:20".into(),
            "20\t    counter = counter + n;".into(),
            "a0             0x4\t4".into(),
            "$1 = 100".into(),
            "Hardware read watchpoint 4: counter".into(),
            "Value = 100".into(),
            "$2 = {float = 0, double = 2.25}".into(),
            "fflags         0x1\tNV:0 DZ:0 OF:0 UF:0 NX:1".into(),
            "frm            0x2\tFRM:2 [RDN (Round down towards -INF)]".into(),
            "[Inferior 1 (process 1) exited with code 0150]".into(),
        ],
    );
    assert_eq!(out, "gdb_demo done\n", "guest stdout; stderr: {err}");
    assert_eq!(status, Some(104), "xlate status; stderr: {err}");
}

#[test]
fn watch_and_write_interp() {
    watch_and_write("interp");
}

#[test]
fn watch_and_write_jit() {
    watch_and_write("jit");
}

/// `xlate boot -g`: break at a symbol of a bare-metal S-mode payload, read a0, CSRs and the
/// privilege level, write memory the payload then reads, step, continue to the finisher's
/// poweroff code.
#[test]
fn boot_mode() {
    if !require_gdb("gdb under xlate boot") {
        return;
    }
    let prog = gdb_boot();
    let checkpoint = symbol(&prog, "checkpoint");
    let counter = symbol(&prog, "counter");
    for engine in ["interp", "jit"] {
        let args: Vec<String> = [
            "boot",
            "--engine",
            engine,
            "--bios",
            "none",
            "--kernel",
            prog.to_str().expect("path"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let stub = start_stub(&args);
        let t = gdb_batch(
            &prog,
            stub.port,
            &[
                "p/x $pc",
                "break *checkpoint",
                "continue",
                "info registers a0",
                "p/x $sepc",
                "info registers priv",
                "p/x $sstatus",
                "x/gx &counter",
                "set var *(long *)&counter = 200",
                "stepi",
                "info registers a0",
                "continue",
            ],
        );
        let (status, _out, err) = stub.finish();
        assert_lines(
            &t,
            &[
                "$1 = 0x80200000".into(),
                format!("Breakpoint 1 at {checkpoint:#x}"),
                format!("Breakpoint 1, {checkpoint:#018x} in checkpoint ()"),
                "a0             0x2a\t42".into(),
                "$2 = 0x1234".into(),
                "priv           0x1\tprv:1 [Supervisor]".into(),
                "$3 = 0x200000000".into(),
                format!("{counter:#x}:\t0x0000000000000064"),
                "a0             0x2b\t43".into(),
                "[Inferior 1 (process 1) exited with code 05]".into(),
            ],
        );
        assert_eq!(status, Some(5), "{engine}: xlate status; stderr: {err}");
    }
}

/// A guest fault stops gdb with the signal before its default action; continuing ends the
/// guest by that signal, reported to gdb, and xlate dies by it too (the shell sees 139).
fn fault_reported(engine: &[&str]) {
    if !require_gdb("gdb and a guest fault") {
        return;
    }
    let prog = common::bin_dir().join("memfault");
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(engine.iter().map(|s| s.to_string()));
    args.push(prog.to_str().expect("path").into());
    let stub = start_stub(&args);
    let t = gdb_batch(&prog, stub.port, &["continue", "continue"]);
    let (status, out, err) = stub.finish_status();
    assert_lines(
        &t,
        &[
            "Program received signal SIGSEGV, Segmentation fault.".into(),
            "Program terminated with signal SIGSEGV, Segmentation fault.".into(),
            "The program no longer exists.".into(),
        ],
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(11), "xlate's end; stderr: {err}");
    assert_eq!(
        out, "mapped and written: 42\nabout to read the unmapped page\n",
        "guest stdout"
    );
}

#[test]
fn fault_reported_interp() {
    fault_reported(&["--engine", "interp"]);
}

#[test]
fn fault_reported_jit_eager() {
    fault_reported(&["--engine", "jit", "--jit-threshold", "1"]);
}

// ---- Ctrl-C, through the remote protocol itself ----

/// A minimal remote-protocol client (acknowledged mode, as gdb starts).
struct Rsp(TcpStream);

impl Rsp {
    fn send(&mut self, body: &str) {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(self.0, "${body}#{sum:02x}").expect("send packet");
        let mut ack = [0u8];
        self.0.read_exact(&mut ack).expect("read ack");
        assert_eq!(ack[0], b'+', "packet {body} not acknowledged");
    }

    fn recv(&mut self) -> String {
        let mut b = [0u8];
        loop {
            self.0.read_exact(&mut b).expect("read reply");
            if b[0] == b'$' {
                break;
            }
        }
        let mut body = Vec::new();
        loop {
            self.0.read_exact(&mut b).expect("read reply");
            if b[0] == b'#' {
                break;
            }
            body.push(b[0]);
        }
        let mut sum = [0u8; 2];
        self.0.read_exact(&mut sum).expect("read checksum");
        self.0.write_all(b"+").expect("ack");
        // Run-length encoding: `X*N` is X repeated N - 29 more times.
        let mut out: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'*' && i + 1 < body.len() {
                let last = *out.last().expect("run after a character");
                out.extend(std::iter::repeat_n(last, usize::from(body[i + 1]) - 29));
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// A guest spinning in translated code (no breakpoints: the JIT runs freely) stops on
/// Ctrl-C with SIGINT at a pc inside its loop; a breakpoint set there (in code that ran
/// translated) stops it again; `vKill` ends xlate like SIGKILL would.
#[test]
fn ctrl_c_interrupts_translated_code() {
    let prog = common::bin_dir().join("sbx_spin");
    let args: Vec<String> = ["run", "--engine", "jit", "--jit-threshold", "1"]
        .iter()
        .map(|s| s.to_string())
        .chain([prog.to_str().expect("path").to_string(), "loop".into()])
        .collect();
    let stub = start_stub(&args);
    let stream = TcpStream::connect(("127.0.0.1", stub.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut c = Rsp(stream);
    c.send("?");
    let first = c.recv();
    assert!(first.starts_with("T05"), "initial stop: {first}");
    c.send("vCont;c");
    thread::sleep(Duration::from_millis(300));
    c.0.write_all(&[3]).expect("send Ctrl-C");
    let stop = c.recv();
    assert!(stop.starts_with("T02"), "stop after Ctrl-C: {stop}");
    // The pc (register 32) is inside the spin loop, not at the entry.
    c.send("g");
    let regs = c.recv();
    let pc = regs.get(32 * 16..33 * 16).expect("pc in the g reply");
    let pc = u64::from_str_radix(pc, 16)
        .map(u64::swap_bytes)
        .expect("pc hex");
    let entry = {
        let data = std::fs::read(&prog).expect("read ELF");
        object::File::parse(&*data).expect("parse ELF").entry()
    };
    assert_ne!(pc, entry, "the guest never ran");
    // A breakpoint on code already translated and running chained: the loop stops there.
    c.send(&format!("Z0,{pc:x},2"));
    assert_eq!(c.recv(), "OK");
    c.send("vCont;c");
    let stop = c.recv();
    assert!(
        stop.starts_with("T05") && stop.contains("swbreak"),
        "stop at the breakpoint: {stop}"
    );
    c.send("g");
    let regs = c.recv();
    let at = regs.get(32 * 16..33 * 16).expect("pc in the g reply");
    let at = u64::from_str_radix(at, 16)
        .map(u64::swap_bytes)
        .expect("pc hex");
    assert_eq!(at, pc, "stopped elsewhere than at the breakpoint");
    c.send("vKill;1");
    let (status, _out, err) = stub.finish();
    assert_eq!(status, Some(137), "xlate status after kill; stderr: {err}");
}
