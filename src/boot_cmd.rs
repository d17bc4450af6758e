//! `xlate boot`: the system-mode virtual machine (QEMU `virt`-compatible memory map), with the
//! guest's UART as the console on stdin/stdout (raw mode on a terminal; `Ctrl-A x` quits,
//! `Ctrl-A Ctrl-A` sends one Ctrl-A, as QEMU's `-nographic` mux).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Arc};

use runtime::machine::system::{
    fdt_params, BootConfig, BootError, BootExit, BootStats, ConsoleEvent, Drive, Firmware, System,
};
use runtime::machine::{cause_name, fdt};

use crate::{fail, parse_size, Engine, EXIT_CANNOT_EXECUTE, EXIT_INTERNAL};

/// A file given on the command line could not be read.
/// Default `--jit-threshold` of `xlate boot`, higher than `xlate run`'s: most of a boot runs
/// once or a few thousand times (the interpreter, with its inline TLB, is cheaper than
/// compiling that), and compiling only the hot loops took about half the CPU time for the
/// same or shorter wall time (Linux `--bios none`, 2026-11-27, thresholds 1000/3000/10000
/// interleaved: 5.6-7.4 / 3.9-4.7 / 3.8-5.7 s wall, 10.7-14.4 / 6.8-8.2 / 5.4-7.3 CPU s).
/// Since interpreted blocks chain (cheaper to interpret) and the backtracking allocator
/// (costlier to compile), 20000 (2026-11-27, other core busy, medians of 4, wall / CPU s:
/// 5000 2.51/2.41, 10000 2.37-2.43/2.32-2.40, 20000 2.19-2.33/2.17-2.24, 40000 2.30/2.27,
/// 80000 2.48/2.40).
const BOOT_JIT_THRESHOLD: u32 = 20_000;
const EXIT_NO_FILE: u8 = 127;
/// The guest wedged itself (trapping in a loop without progress).
const EXIT_GUEST_STUCK: u8 = 124;

#[derive(clap::Args)]
pub struct BootArgs {
    /// RAM size, e.g. 256M or 1G.
    #[arg(short = 'm', long = "memory", value_name = "SIZE", default_value = "256M", value_parser = parse_size, env = "XLATE_MEMORY")]
    memory: usize,

    /// M-mode firmware (ELF or flat binary loaded at 0x8000_0000, e.g. OpenSBI's fw_jump.bin),
    /// or `none` for the built-in SBI (the kernel then starts in S-mode).
    #[arg(
        long,
        value_name = "FILE|none",
        default_value = "none",
        env = "XLATE_BIOS"
    )]
    bios: String,

    /// The kernel or next stage (ELF, or a flat image loaded at 0x8020_0000).
    #[arg(long, value_name = "FILE", env = "XLATE_KERNEL")]
    kernel: Option<PathBuf>,

    /// Initial ramdisk (its place is passed in the device tree).
    #[arg(long, value_name = "FILE", env = "XLATE_INITRD")]
    initrd: Option<PathBuf>,

    /// Kernel command line (/chosen/bootargs).
    #[arg(long, value_name = "ARGS", env = "XLATE_APPEND")]
    append: Option<String>,

    /// Pass this device tree blob instead of the generated one.
    #[arg(long, value_name = "FILE", env = "XLATE_DTB")]
    dtb: Option<PathBuf>,

    /// Raw disk image for a virtio block device (virtio-mmio slot 0 at 0x1000_1000, IRQ 1);
    /// guest writes go to the file.
    #[arg(long, value_name = "FILE", env = "XLATE_DRIVE")]
    drive: Option<PathBuf>,

    /// Attach the --drive read-only (VIRTIO_BLK_F_RO; guest writes fail).
    #[arg(long, requires = "drive", env = "XLATE_DRIVE_READONLY", value_parser = clap::builder::FalseyValueParser::new())]
    drive_readonly: bool,

    /// Write the generated device tree blob to FILE and exit.
    #[arg(long, value_name = "FILE")]
    dump_dtb: Option<PathBuf>,

    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit", env = "XLATE_ENGINE")]
    engine: Engine,

    /// JIT: translate a block once it has run this many times in the interpreter.
    #[arg(
        long,
        value_name = "N",
        default_value_t = BOOT_JIT_THRESHOLD,
        env = "XLATE_JIT_THRESHOLD"
    )]
    jit_threshold: u32,

    /// JIT: size of the translated-code cache, e.g. 64M.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size, env = "XLATE_CODE_CACHE_SIZE")]
    code_cache_size: usize,

    /// Wait for gdb on 127.0.0.1:PORT before the first instruction and serve the GDB remote
    /// protocol (registers include a few CSRs and the privilege level).
    #[arg(short = 'g', long = "gdb", value_name = "PORT", env = "XLATE_GDB")]
    gdb: Option<u16>,

    /// Print statistics (instructions, time, MIPS, time asleep in wfi) to stderr at the end.
    #[arg(long, env = "XLATE_STATS", value_parser = clap::builder::FalseyValueParser::new())]
    stats: bool,
}

fn read_file(what: &str, p: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(p).map_err(|e| {
        fail(
            format_args!("cannot read {what} {}: {e}", p.display()),
            EXIT_NO_FILE,
        )
    })
}

/// Opens the --drive image (read-write unless read-only).
fn open_drive(p: &Path, readonly: bool) -> Result<Drive, ExitCode> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(!readonly)
        .open(p)
        .and_then(|f| {
            if f.metadata()?.is_dir() {
                return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory));
            }
            Ok(f)
        });
    match opened {
        Ok(f) => Ok(Drive {
            disk: Arc::new(f),
            readonly,
        }),
        Err(e) => Err(fail(
            format_args!(
                "cannot open drive {}{}: {e}",
                p.display(),
                if readonly { "" } else { " for writing" }
            ),
            EXIT_NO_FILE,
        )),
    }
}

fn config(args: &BootArgs) -> Result<BootConfig, ExitCode> {
    let firmware = if args.bios == "none" {
        Firmware::Builtin
    } else {
        Firmware::Image(read_file("firmware", Path::new(&args.bios))?)
    };
    let opt = |what: &str, p: &Option<PathBuf>| -> Result<Option<Vec<u8>>, ExitCode> {
        p.as_deref().map(|p| read_file(what, p)).transpose()
    };
    let engine = match args.engine {
        Engine::Interp => runtime::machine::Engine::Interp,
        Engine::Jit => runtime::machine::Engine::Jit(translator::jit::JitConfig {
            code_cache_size: args.code_cache_size,
            jit_threshold: args.jit_threshold,
            // A boot compiles thousands of regions once each: on a second host core the
            // guest goes on (interpreted) meanwhile.
            background: std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
            // The backtracking allocator: it compiles about 2x slower than the single-pass
            // one, but on the background thread, and its code is about twice as fast (the
            // kernel's hot loops, e.g. jitterentropy's SHA-3, run most of a boot's translated
            // code). Linux `--bios none` to poweroff, interleaved (2026-11-27): quiet VM
            // median 1.93 s against 2.56 s, with the other core busy 2.78 against 2.96 s.
            regalloc: translator::jit::RegAlloc::Backtracking,
            time_split: args.stats,
            ..Default::default()
        }),
    };
    Ok(BootConfig {
        ram_size: args.memory as u64,
        firmware,
        kernel: opt("kernel", &args.kernel)?,
        initrd: opt("initrd", &args.initrd)?,
        append: args.append.clone(),
        dtb: opt("device tree", &args.dtb)?,
        engine,
        drive: args
            .drive
            .as_deref()
            .map(|p| open_drive(p, args.drive_readonly))
            .transpose()?,
    })
}

/// Puts the terminal on stdin in raw mode (output post-processing kept) and restores it on drop.
struct RawTerminal {
    saved: Option<libc::termios>,
}

impl RawTerminal {
    fn enter() -> Self {
        // SAFETY: isatty/tcgetattr/tcsetattr on fd 0 with a termios we own; failures leave
        // the terminal as it was.
        unsafe {
            if libc::isatty(0) != 1 {
                return Self { saved: None };
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return Self { saved: None };
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            t.c_oflag |= libc::OPOST;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return Self { saved: None };
            }
            Self { saved: Some(saved) }
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: restores the attributes read by `enter` on fd 0.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
}

/// The Ctrl-A escape of the console.
#[derive(Default)]
struct Escape {
    armed: bool,
}

impl Escape {
    /// Filters host input; returns the bytes for the guest and whether the user quit.
    fn filter(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if self.armed {
                self.armed = false;
                match b {
                    b'x' | b'X' => return (out, true),
                    0x01 => out.push(0x01),
                    _ => {}
                }
            } else if b == 0x01 {
                self.armed = true;
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

/// Reads stdin on a thread and sends what arrives; end of input closes the channel.
fn console_input() -> mpsc::Receiver<ConsoleEvent> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 512];
        let mut esc = Escape::default();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let (bytes, quit) = esc.filter(&buf[..n]);
                    if !bytes.is_empty() && tx.send(ConsoleEvent::Input(bytes)).is_err() {
                        break;
                    }
                    if quit {
                        let _ = tx.send(ConsoleEvent::Quit);
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    rx
}

fn boot_error(e: &BootError) -> ExitCode {
    let code = match e {
        BootError::Jit(_) => EXIT_INTERNAL,
        BootError::NothingToBoot | BootError::RamSize(_) => 2,
        _ => EXIT_CANNOT_EXECUTE,
    };
    fail(e, code)
}

pub fn boot(args: BootArgs) -> ExitCode {
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(path) = &args.dump_dtb {
        let blob = match fdt::build(&fdt_params(&cfg, None)) {
            Ok(b) => b,
            Err(e) => {
                return fail(
                    format_args!("cannot build the device tree: {e}"),
                    EXIT_INTERNAL,
                )
            }
        };
        return match std::fs::write(path, blob) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(
                format_args!("cannot write {}: {e}", path.display()),
                EXIT_INTERNAL,
            ),
        };
    }
    let mut sys = match System::new(&cfg) {
        Ok(s) => s,
        Err(e) => return boot_error(&e),
    };
    if let Some(port) = args.gdb {
        match crate::gdb_cmd::attach(port, &sys.machine.interp.env) {
            Ok(g) => sys.gdb = Some(Box::new(g)),
            Err(e) => return fail(format_args!("{e:#}"), EXIT_INTERNAL),
        }
    }
    let input = console_input();
    let raw = RawTerminal::enter();
    let mut stdout = std::io::stdout().lock();
    let mut stats = BootStats::default();
    let exit = loop {
        match sys.run(Some(&input), &mut stdout, &mut stats) {
            BootExit::Reset => match System::new(&cfg) {
                Ok(s) => {
                    let gdb = sys.gdb.take();
                    sys = s;
                    sys.gdb = gdb;
                }
                Err(e) => {
                    drop(raw);
                    return boot_error(&e);
                }
            },
            other => break other,
        }
    };
    drop(raw);
    let _ = stdout.flush();
    crate::gdb_cmd::boot_ended(sys.gdb.take(), &exit);
    if args.stats {
        let secs = stats.wall.as_secs_f64();
        eprintln!(
            "xlate: stats: {} guest instructions, {secs:.3} s wall ({:.3} s asleep in wfi), {:.1} MIPS, {} SBI calls answered by the monitor",
            stats.instret,
            stats.slept.as_secs_f64(),
            stats.instret as f64 / (secs - stats.slept.as_secs_f64()).max(1e-9) / 1e6,
            stats.sbi_calls,
        );
        let h = &sys.machine.interp.env;
        eprintln!(
            "xlate: stats: code: {} whole flushes requested, {} invalidations of some pages' code, {} avoided (fence.i, sfence.vma or satp write with the cached code still valid); {} page-table walks",
            h.code_flushes, h.code_invalidations, h.code_flushes_avoided, h.tlb.walks,
        );
        if let Some(j) = sys.machine.jit_stats() {
            eprintln!(
                "xlate: stats: jit: {} blocks translated ({} guest instructions), {:.1} ms compiling, {} code flushes, {} page invalidations, {} chained exits, {} entries from the dispatcher, {} blocks run interpreted, {} dispatcher lookups found in the jump cache, {} in the block map; time: {:.3} ms in translated code, {:.3} ms interpreting",
                j.blocks_translated,
                j.insns_translated,
                j.compile_ns as f64 / 1e6,
                j.flushes,
                j.invalidations,
                j.chained_exits,
                j.jit_entries,
                j.interp_blocks,
                j.jc_hits,
                j.jc_misses,
                j.jit_ns as f64 / 1e6,
                j.interp_ns as f64 / 1e6,
            );
        }
    }
    match exit {
        BootExit::Poweroff(0) | BootExit::Quit => ExitCode::SUCCESS,
        BootExit::Poweroff(c) => ExitCode::from(if c & 0xff == 0 { 1 } else { (c & 0xff) as u8 }),
        BootExit::TrapLoop { pc, cause, tval } => fail(
            format_args!(
                "the guest is stuck: {} at pc {pc:#x} (tval {tval:#x}) traps again before retiring an instruction",
                cause_name(cause)
            ),
            EXIT_GUEST_STUCK,
        ),
        BootExit::Reset => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::Escape;

    #[test]
    fn ctrl_a_escapes() {
        let mut e = Escape::default();
        assert_eq!(e.filter(b"ab\x01\x01c"), (b"ab\x01c".to_vec(), false));
        assert_eq!(e.filter(b"d\x01"), (b"d".to_vec(), false));
        assert_eq!(
            e.filter(b"xyz"),
            (Vec::new(), true),
            "escape split across reads"
        );
        let mut e = Escape::default();
        assert_eq!(
            e.filter(b"\x01qz"),
            (b"z".to_vec(), false),
            "unknown escapes are dropped"
        );
    }
}
