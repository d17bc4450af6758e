//! System mode: the `virt` machine `xlate boot` runs (QEMU 7.2 `virt` memory map and boot
//! protocol: reset vector at 0x1000 with a0 = hartid, a1 = device tree, a2 = OpenSBI
//! `fw_dynamic_info`; firmware at 0x8000_0000, the next stage at 0x8020_0000), and its run
//! loop: console I/O through the UART, interrupts between slices, `wfi` sleeping the host
//! thread, SBI calls answered by the built-in firmware with `--bios none`, poweroff and reset
//! through the test finisher or SBI SRST.

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian as LE;
use translator::jit::JitError;
use translator::Cause;

use super::fdt::{self, FdtParams};
use super::hart::{Misaligned, Priv, IRQ_SEI, IRQ_SSI, IRQ_STI};
use super::{parse_elf, sbi, Config, Engine, LoadError, Machine, Stuck, TrapWatch, RAM_BASE};
use crate::devices::virtio_blk::{Disk, VirtioBlk};
use crate::devices::{Board, Finish, VirtioMmio, MROM_BASE};

/// Where the next stage after the firmware goes (OpenSBI `fw_jump`'s FW_JUMP_ADDR).
pub const KERNEL_BASE: u64 = 0x8020_0000;
const MIB: u64 = 1 << 20;
/// Instructions per slice between checks of the console, interrupts and the clock.
const SLICE: u64 = 20_000;
/// Longest single `wfi` sleep (the loop re-checks everything after it).
const MAX_SLEEP: Duration = Duration::from_millis(50);

/// The firmware that runs in M-mode.
#[derive(Clone, Debug)]
pub enum Firmware {
    /// `--bios none`: the monitor answers SBI calls; the kernel starts in S-mode.
    Builtin,
    /// A firmware image (ELF or flat binary at 0x8000_0000), entered in M-mode from the reset
    /// vector.
    Image(Vec<u8>),
}

/// How the system-mode machine is built.
#[derive(Clone, Debug)]
pub struct BootConfig {
    pub ram_size: u64,
    pub firmware: Firmware,
    /// The next stage: a Linux Image, U-Boot, or an ELF.
    pub kernel: Option<Vec<u8>>,
    pub initrd: Option<Vec<u8>>,
    pub append: Option<String>,
    /// A device tree to pass instead of the generated one.
    pub dtb: Option<Vec<u8>>,
    pub engine: Engine,
    /// The disk of the virtio block device in the first virtio-mmio slot.
    pub drive: Option<Drive>,
}

/// A raw disk image behind a virtio block device.
#[derive(Clone, Debug)]
pub struct Drive {
    pub disk: Arc<dyn Disk>,
    /// Offer VIRTIO_BLK_F_RO and refuse writes.
    pub readonly: bool,
}

/// Why the machine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("{what} ({len} bytes at {addr:#x}) does not fit in RAM ({ram} MiB)")]
    DoesNotFit {
        what: &'static str,
        addr: u64,
        len: u64,
        ram: u64,
    },
    #[error("{what}: {err}")]
    Elf { what: &'static str, err: LoadError },
    #[error("--bios none needs a --kernel to run")]
    NothingToBoot,
    #[error("RAM size {0:#x} is not supported (16 MiB .. 64 GiB, a multiple of 1 MiB)")]
    RamSize(u64),
    #[error("invalid device tree: {0}")]
    Dtb(String),
    #[error("cannot start the JIT: {0}")]
    Jit(#[from] JitError),
}

/// Where things were put.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub firmware: Option<(u64, u64)>,
    pub kernel: Option<(u64, u64)>,
    pub initrd: Option<(u64, u64)>,
    pub fdt: u64,
    pub entry: u64,
}

/// The built system: the machine, its device tree and layout.
pub struct System {
    pub machine: Machine,
    pub dtb: Vec<u8>,
    pub layout: Layout,
    pub builtin_sbi: bool,
    /// The GDB stub (`xlate boot -g`): runs guest code when set (see `crate::gdb`).
    pub gdb: Option<Box<crate::gdb::GdbControl<super::Hart>>>,
}

/// How a boot ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootExit {
    /// Powered off (test finisher or SBI SRST); 0 is success.
    Poweroff(u32),
    /// The guest asked for a reset.
    Reset,
    /// The user quit (Ctrl-A x).
    Quit,
    /// The guest is stuck trapping without retiring an instruction.
    TrapLoop { pc: u64, cause: u64, tval: u64 },
}

/// Console input as the host reads it.
pub enum ConsoleEvent {
    Input(Vec<u8>),
    /// The user asked to quit.
    Quit,
}

/// Run statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct BootStats {
    pub instret: u64,
    pub wall: Duration,
    /// Time spent sleeping in `wfi`.
    pub slept: Duration,
    pub sbi_calls: u64,
}

/// The device tree parameters for `cfg`.
pub fn fdt_params(cfg: &BootConfig, initrd: Option<(u64, u64)>) -> FdtParams {
    FdtParams {
        ram_base: RAM_BASE,
        ram_size: cfg.ram_size,
        bootargs: cfg.append.clone(),
        initrd,
        mmu_type: "riscv,sv48",
    }
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

/// Copies a flat image or the PT_LOAD segments of an ELF into RAM; returns (entry, start, end).
fn load_image(
    m: &mut Machine,
    what: &'static str,
    data: &[u8],
    flat_at: u64,
    ram: u64,
) -> Result<(u64, u64, u64), BootError> {
    let bus = &mut m.interp.env.bus;
    let fits = |addr: u64, len: u64| BootError::DoesNotFit {
        what,
        addr,
        len,
        ram: ram / MIB,
    };
    if data.get(..4) != Some(b"\x7fELF") {
        let len = data.len() as u64;
        let dst = bus.ram_slice_mut(flat_at, len).ok_or(fits(flat_at, len))?;
        dst.copy_from_slice(data);
        return Ok((flat_at, flat_at, flat_at + len));
    }
    let f = parse_elf(data).map_err(|err| BootError::Elf { what, err })?;
    let malformed = |s: String| BootError::Elf {
        what,
        err: LoadError::Malformed(s),
    };
    let headers = f
        .elf_header()
        .program_headers(LE, data)
        .map_err(|e| malformed(e.to_string()))?;
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for ph in headers {
        if ph.p_type(LE) != object::elf::PT_LOAD || ph.p_memsz(LE) == 0 {
            continue;
        }
        let (pa, memsz) = (ph.p_paddr(LE), ph.p_memsz(LE));
        let bytes = ph
            .data(LE, data)
            .map_err(|_| malformed("segment data out of the file".into()))?;
        if bytes.len() as u64 > memsz {
            return Err(malformed("p_filesz > p_memsz".into()));
        }
        let dst = bus.ram_slice_mut(pa, memsz).ok_or(fits(pa, memsz))?;
        let n = bytes.len();
        dst[..n].copy_from_slice(bytes);
        dst[n..].fill(0);
        lo = lo.min(pa);
        hi = hi.max(pa + memsz);
    }
    if lo == u64::MAX {
        return Err(malformed("no loadable segment".into()));
    }
    Ok((f.elf_header().e_entry(LE), lo, hi))
}

/// The reset vector (QEMU's): a0 = mhartid, a1 = device tree, a2 = fw_dynamic_info, jump to
/// the firmware.
fn reset_rom(start: u64, fdt_addr: u64, next: u64) -> Vec<u8> {
    let code: [u32; 6] = [
        0x0000_0297, // auipc t0, 0
        0x0282_8613, // addi  a2, t0, 40
        0xf140_2573, // csrr  a0, mhartid
        0x0202_b583, // ld    a1, 32(t0)
        0x0182_b283, // ld    t0, 24(t0)
        0x0002_8067, // jr    t0
    ];
    let mut rom: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    rom.extend_from_slice(&start.to_le_bytes());
    rom.extend_from_slice(&fdt_addr.to_le_bytes());
    // struct fw_dynamic_info: magic, version, next_addr, next_mode (1 = S), options, boot_hart.
    for v in [0x4942_534f, 2, next, 1, 0, 0] {
        rom.extend_from_slice(&u64::to_le_bytes(v));
    }
    rom
}

impl System {
    /// Builds the machine, loads the images and points the hart at its first instruction.
    pub fn new(cfg: &BootConfig) -> Result<Self, BootError> {
        let ram = cfg.ram_size;
        if !(16 * MIB..=64 << 30).contains(&ram) || !ram.is_multiple_of(MIB) {
            return Err(BootError::RamSize(ram));
        }
        let builtin = matches!(cfg.firmware, Firmware::Builtin);
        if builtin && cfg.kernel.is_none() {
            return Err(BootError::NothingToBoot);
        }
        let mut m = Machine::new(&Config {
            ram_base: RAM_BASE,
            ram_size: ram,
            misaligned: Misaligned::Emulate,
            echo_console: false,
            engine: cfg.engine.clone(),
        })?;
        let mut layout = Layout::default();
        let mut next_free = RAM_BASE;
        if let Firmware::Image(fw) = &cfg.firmware {
            let (entry, lo, hi) = load_image(&mut m, "firmware", fw, RAM_BASE, ram)?;
            layout.firmware = Some((lo, hi));
            layout.entry = entry;
            next_free = hi;
        }
        let mut kernel_entry = KERNEL_BASE;
        if let Some(k) = &cfg.kernel {
            let at = align_up(next_free, 2 * MIB).max(KERNEL_BASE);
            let (entry, lo, hi) = load_image(&mut m, "kernel", k, at, ram)?;
            layout.kernel = Some((lo, hi));
            kernel_entry = entry;
            next_free = hi;
        }
        if builtin {
            layout.entry = kernel_entry;
        }
        let ram_end = RAM_BASE + ram;
        if let Some(rd) = &cfg.initrd {
            // As QEMU: well above the kernel (its image grows by its BSS and page tables).
            let kstart = layout.kernel.map_or(KERNEL_BASE, |k| k.0);
            let at = align_up((kstart + (ram / 2).min(128 * MIB)).max(next_free), 4096);
            let len = rd.len() as u64;
            let dst = m
                .interp
                .env
                .bus
                .ram_slice_mut(at, len)
                .ok_or(BootError::DoesNotFit {
                    what: "initrd",
                    addr: at,
                    len,
                    ram: ram / MIB,
                })?;
            dst.copy_from_slice(rd);
            layout.initrd = Some((at, at + len));
            next_free = at + len;
        }
        let dtb = match &cfg.dtb {
            Some(d) => {
                fdt::validate(d).map_err(BootError::Dtb)?;
                d.clone()
            }
            None => fdt::build(&fdt_params(cfg, layout.initrd))
                .map_err(|e| BootError::Dtb(e.to_string()))?,
        };
        // As QEMU: the device tree at the top of RAM below 3 GiB, 2 MiB aligned.
        let len = dtb.len() as u64;
        let top = ram_end.min(3 << 30);
        let fdt_addr = (top.saturating_sub(len)) & !(2 * MIB - 1);
        if fdt_addr < next_free {
            return Err(BootError::DoesNotFit {
                what: "device tree",
                addr: fdt_addr,
                len,
                ram: ram / MIB,
            });
        }
        let dst = m
            .interp
            .env
            .bus
            .ram_slice_mut(fdt_addr, len)
            .ok_or(BootError::DoesNotFit {
                what: "device tree",
                addr: fdt_addr,
                len,
                ram: ram / MIB,
            })?;
        dst.copy_from_slice(&dtb);
        layout.fdt = fdt_addr;

        let mut board = Board::new();
        board.rom = reset_rom(layout.entry, fdt_addr, kernel_entry);
        if let (Some(d), Some(slot)) = (&cfg.drive, board.virtio.first_mut()) {
            let blk = VirtioBlk::new(d.disk.clone(), d.readonly);
            *slot = VirtioMmio::new(Box::new(blk));
        }
        let hart = &mut m.interp.env;
        hart.bus.board = Some(Box::new(board));
        hart.bus.clint.host_clock = Some(Instant::now());
        let cpu = &mut m.interp.cpu;
        if builtin {
            // What SBI firmware leaves behind: S-mode at the kernel, a0 = hartid, a1 = fdt,
            // exceptions other than ecall-from-S and M-level ones delegated, S interrupts
            // delegated, counters readable, Sstc enabled (stimecmp usable from S-mode).
            hart.medeleg = 0xb1ff;
            hart.mideleg = (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI);
            hart.mcounteren = 7;
            hart.menvcfg = super::hart::MENVCFG_STCE;
            hart.set_privilege(Priv::S);
            cpu.x[10] = 0;
            cpu.x[11] = fdt_addr;
            cpu.pc = kernel_entry;
        } else {
            cpu.pc = MROM_BASE;
        }
        Ok(Self {
            machine: m,
            dtb,
            layout,
            builtin_sbi: builtin,
            gdb: None,
        })
    }

    /// Runs until poweroff, reset, quit or a trap loop. Console output goes to `out` as it
    /// comes; input arrives on `input` (a closed channel is end of input: the guest keeps
    /// running).
    pub fn run(
        &mut self,
        input: Option<&Receiver<ConsoleEvent>>,
        out: &mut dyn Write,
        stats: &mut BootStats,
    ) -> BootExit {
        let start = Instant::now();
        let mut input = input;
        let mut traps = TrapWatch::default();
        let exit = loop {
            let m = &mut self.machine.interp;
            // Console input.
            if let Some(rx) = input {
                match drain_input(rx, m) {
                    Drain::Quit => break BootExit::Quit,
                    Drain::Closed => input = None,
                    Drain::Open => {}
                }
            }
            flush_output(m, out);
            if let Some(f) = board(m).test.finish {
                break match f {
                    Finish::Poweroff(c) => BootExit::Poweroff(c),
                    Finish::Reset => BootExit::Reset,
                };
            }
            if let Some(cause) = m.env.pending_interrupt() {
                m.env.take_trap(&mut m.cpu, cause, 0);
            }
            m.env.waiting = false;
            let engine = &mut self.machine.engine;
            let r = match self.gdb.as_mut() {
                None => engine.run(m, SLICE),
                Some(g) => g.run_step(m, &mut |m, b| engine.run(m, b), SLICE),
            };
            match r {
                Ok(()) => {}
                Err(e) => {
                    if self.builtin_sbi
                        && e.cause == Cause::EcallFromU
                        && m.env.privilege == Priv::S
                    {
                        stats.sbi_calls += 1;
                        sbi::call(&mut m.env, &mut m.cpu);
                        m.cpu.pc = m.cpu.pc.wrapping_add(4);
                        m.cpu.instret += 1;
                        continue;
                    }
                    if let Some(Stuck { pc, cause, tval }) = traps.take(m, e) {
                        break BootExit::TrapLoop { pc, cause, tval };
                    }
                }
            }
            if m.env.waiting && !m.env.wakeup_pending() {
                flush_output(m, out);
                let clint = &m.env.bus.clint;
                let deadline = clint.mtimecmp.min(clint.stimecmp);
                let nap = clint.until(deadline).min(MAX_SLEEP);
                let t = Instant::now();
                match input {
                    Some(rx) => match rx.recv_timeout(nap) {
                        Ok(ConsoleEvent::Input(b)) => board(m).push_input(&b),
                        Ok(ConsoleEvent::Quit) => break BootExit::Quit,
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => input = None,
                    },
                    None => std::thread::sleep(nap),
                }
                stats.slept += t.elapsed();
            }
        };
        flush_output(&mut self.machine.interp, out);
        stats.instret = self.machine.interp.cpu.instret;
        stats.wall += start.elapsed();
        exit
    }
}

fn board(m: &mut translator::interp::Interp<super::Hart>) -> &mut Board {
    // The system machine always has a board (System::new installs it).
    m.env
        .bus
        .board
        .get_or_insert_with(|| Box::new(Board::new()))
}

/// Writes what the UART transmitted; returns whether there was anything.
fn flush_output(m: &mut translator::interp::Interp<super::Hart>, out: &mut dyn Write) -> bool {
    let bytes = board(m).take_output();
    if bytes.is_empty() {
        return false;
    }
    let _ = out.write_all(&bytes);
    let _ = out.flush();
    true
}

enum Drain {
    Open,
    Closed,
    Quit,
}

/// Takes the input events that arrived.
fn drain_input(
    rx: &Receiver<ConsoleEvent>,
    m: &mut translator::interp::Interp<super::Hart>,
) -> Drain {
    loop {
        match rx.try_recv() {
            Ok(ConsoleEvent::Input(b)) => board(m).push_input(&b),
            Ok(ConsoleEvent::Quit) => return Drain::Quit,
            Err(TryRecvError::Empty) => return Drain::Open,
            Err(TryRecvError::Disconnected) => return Drain::Closed,
        }
    }
}
