//! GDB remote stub: serves the GDB Remote Serial Protocol (the `gdbstub` crate; register
//! layout from a target description with GDB's `org.gnu.gdb.riscv.cpu`/`.fpu`/`.csr`/`.virtual`
//! features) for a Linux process (`xlate run -g PORT`) or the system-mode hart (`xlate boot -g`).
//!
//! Two threads: the protocol runs on its own thread against a proxy target that forwards every
//! request (registers, memory, breakpoints, resume) over a channel to the guest thread, which
//! answers while the guest is stopped and reports stops (breakpoint, step, watchpoint, signal,
//! exit) back. The guest thread runs guest code through [`GdbControl::step`], called by the
//! run loops where they would call the engine: with no breakpoint, watchpoint or single step
//! active the engine (JIT or interpreter) runs freely in slices, and a Ctrl-C from GDB sets a
//! flag checked between slices; otherwise instructions run one at a time through the shared
//! decode table and interpreter semantics, checked against the breakpoints and watchpoints
//! first, so translated code never runs past a breakpoint (and nothing needs retranslating:
//! breakpoints are never written into guest memory).

use std::collections::BTreeSet;
use std::io;
use std::marker::PhantomData;
use std::net::{TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use gdbstub::arch::Arch;
use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{self, BlockingEventLoop};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps,
    SwBreakpoint, SwBreakpointOps, WatchKind,
};
use gdbstub::target::ext::target_description_xml_override::{
    TargetDescriptionXmlOverride, TargetDescriptionXmlOverrideOps,
};
use gdbstub::target::{Target, TargetError, TargetResult};
use translator::decode::{DecodeError, Table};
use translator::interp::{run_block, Block, Env, Interp};
use translator::{CpuState, Exception};

/// Signal numbers GDB knows (its own numbering, which matches Linux for these).
const GDB_SIGINT: u8 = 2;

/// Instructions run one at a time between two returns to the run loop.
const STEP_SLICE: u64 = 20_000;

/// System-mode CSRs shown to GDB (`org.gnu.gdb.riscv.csr`), in register order.
pub const SYSTEM_CSRS: [(&str, u16); 18] = [
    ("sstatus", 0x100),
    ("sepc", 0x141),
    ("scause", 0x142),
    ("stval", 0x143),
    ("satp", 0x180),
    ("mstatus", 0x300),
    ("mepc", 0x341),
    ("mcause", 0x342),
    ("mtval", 0x343),
    ("sie", 0x104),
    ("stvec", 0x105),
    ("sip", 0x144),
    ("medeleg", 0x302),
    ("mideleg", 0x303),
    ("mie", 0x304),
    ("mtvec", 0x305),
    ("mip", 0x344),
    ("stimecmp", 0x14d),
];

/// Failure to set up the stub.
#[derive(Debug, thiserror::Error)]
pub enum GdbError {
    #[error("cannot listen for gdb on 127.0.0.1:{port}: {err}")]
    Listen { port: u16, err: io::Error },
    #[error("waiting for gdb on 127.0.0.1:{port}: {err}")]
    Accept { port: u16, err: io::Error },
}

/// Listens on 127.0.0.1:`port`, says so on stderr and waits for GDB to connect.
pub fn wait_for_gdb(port: u16) -> Result<TcpStream, GdbError> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|err| GdbError::Listen { port, err })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    eprintln!("xlate: waiting for gdb on 127.0.0.1:{port}");
    let (stream, _) = listener
        .accept()
        .map_err(|err| GdbError::Accept { port, err })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

// ---- registers and the architecture ----

/// Every register GDB sees, in target-description order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Regs {
    pub x: [u64; 32],
    pub pc: u64,
    pub f: [u64; 32],
    pub fflags: u32,
    pub frm: u32,
    /// System mode only: [`SYSTEM_CSRS`] then the privilege level.
    pub csrs: Vec<u64>,
}

/// Bytes of the user-mode register block (x0-x31, pc, f0-f31, fflags, frm, fcsr).
const USER_REGS_LEN: usize = 33 * 8 + 32 * 8 + 3 * 4;

impl gdbstub::arch::Registers for Regs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.pc
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        let mut put = |b: &[u8]| b.iter().for_each(|&v| write_byte(Some(v)));
        for v in self.x.iter().chain([&self.pc]).chain(self.f.iter()) {
            put(&v.to_le_bytes());
        }
        let fcsr = (self.frm & 7) << 5 | (self.fflags & 0x1f);
        for v in [self.fflags, self.frm, fcsr] {
            put(&v.to_le_bytes());
        }
        for v in &self.csrs {
            put(&v.to_le_bytes());
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let ncsr = SYSTEM_CSRS.len() + 1;
        let csrs = match bytes.len() {
            USER_REGS_LEN => 0,
            n if n == USER_REGS_LEN + ncsr * 8 => ncsr,
            _ => return Err(()),
        };
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        for i in 0..32 {
            self.x[i] = u64_at(i);
            self.f[i] = u64_at(33 + i);
        }
        self.pc = u64_at(32);
        let u32_at = |i: usize| {
            let o = 65 * 8 + i * 4;
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[o..o + 4]);
            u32::from_le_bytes(b)
        };
        let (fflags, frm, fcsr) = (u32_at(0), u32_at(1), u32_at(2));
        // GDB writes all three with the one it changed; fcsr wins when it disagrees.
        let old_fcsr = (self.frm & 7) << 5 | (self.fflags & 0x1f);
        if fcsr != old_fcsr {
            self.fflags = fcsr & 0x1f;
            self.frm = (fcsr >> 5) & 7;
        } else {
            self.fflags = fflags & 0x1f;
            self.frm = frm & 7;
        }
        self.csrs = (0..csrs)
            .map(|i| {
                let o = USER_REGS_LEN + i * 8;
                let mut b = [0u8; 8];
                b.copy_from_slice(&bytes[o..o + 8]);
                u64::from_le_bytes(b)
            })
            .collect();
        Ok(())
    }
}

/// RV64GC as GDB sees it from xlate: the integer and F/D registers, and in system mode a few
/// CSRs and the privilege level (the target description comes from [`target_xml`]).
pub enum Rv64 {}

impl Arch for Rv64 {
    type Usize = u64;
    type Registers = Regs;
    type BreakpointKind = usize;
    type RegId = ();

    fn target_description_xml() -> Option<&'static str> {
        None
    }
}

const X_NAMES: [(&str, &str); 32] = [
    ("zero", "int"),
    ("ra", "code_ptr"),
    ("sp", "data_ptr"),
    ("gp", "data_ptr"),
    ("tp", "data_ptr"),
    ("t0", "int"),
    ("t1", "int"),
    ("t2", "int"),
    ("fp", "data_ptr"),
    ("s1", "int"),
    ("a0", "int"),
    ("a1", "int"),
    ("a2", "int"),
    ("a3", "int"),
    ("a4", "int"),
    ("a5", "int"),
    ("a6", "int"),
    ("a7", "int"),
    ("s2", "int"),
    ("s3", "int"),
    ("s4", "int"),
    ("s5", "int"),
    ("s6", "int"),
    ("s7", "int"),
    ("s8", "int"),
    ("s9", "int"),
    ("s10", "int"),
    ("s11", "int"),
    ("t3", "int"),
    ("t4", "int"),
    ("t5", "int"),
    ("t6", "int"),
];

const F_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// The target description (GDB's `target.xml`): registers numbered in the order of [`Regs`].
pub fn target_xml(system: bool) -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n",
    );
    for (i, (name, ty)) in X_NAMES.iter().enumerate() {
        let _ = writeln!(
            s,
            "<reg name=\"{name}\" bitsize=\"64\" type=\"{ty}\" regnum=\"{i}\"/>"
        );
    }
    s.push_str("<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n");
    s.push_str("<feature name=\"org.gnu.gdb.riscv.fpu\">\n<union id=\"riscv_double\"><field name=\"float\" type=\"ieee_single\"/><field name=\"double\" type=\"ieee_double\"/></union>\n");
    for (i, name) in F_NAMES.iter().enumerate() {
        let _ = writeln!(
            s,
            "<reg name=\"{name}\" bitsize=\"64\" type=\"riscv_double\" regnum=\"{}\"/>",
            33 + i
        );
    }
    for (i, name) in ["fflags", "frm", "fcsr"].iter().enumerate() {
        let _ = writeln!(
            s,
            "<reg name=\"{name}\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>",
            65 + i
        );
    }
    s.push_str("</feature>\n");
    if system {
        s.push_str("<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (i, (name, _)) in SYSTEM_CSRS.iter().enumerate() {
            let _ = writeln!(
                s,
                "<reg name=\"{name}\" bitsize=\"64\" type=\"int\" regnum=\"{}\"/>",
                68 + i
            );
        }
        s.push_str("</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n");
        let _ = writeln!(
            s,
            "<reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"{}\"/>",
            68 + SYSTEM_CSRS.len()
        );
        s.push_str("</feature>\n");
    }
    s.push_str("</target>\n");
    s
}

// ---- what the guest side must provide ----

/// A machine GDB can inspect: memory as the guest sees it, threads, extra registers, and how
/// its exceptions stop the debugger.
pub trait Debuggee: Env + Sized {
    /// Whether this is the system-mode hart (CSRs and privilege level shown).
    const SYSTEM: bool;
    /// Copies guest memory at `addr` into `buf`; returns how many bytes could be read.
    fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> usize;
    /// Writes guest memory (code included); false when some byte is not writable.
    fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool;
    /// The thread ids to list (the first is the one the registers belong to).
    fn threads(&self) -> Vec<u64>;
    /// [`SYSTEM_CSRS`] and the privilege level (system mode; empty in user mode).
    fn extra_regs(&self, cpu: &CpuState) -> Vec<u64>;
    fn set_extra_regs(&mut self, cpu: &CpuState, regs: &[u64]);
    /// The signal with which an exception the engine returned stops the debugger before it is
    /// handled, or `None` when the run loop handles it without the debugger seeing it
    /// (system calls; every trap in system mode, which the guest's own handler takes).
    fn stop_signal(e: &Exception) -> Option<u8>;
}

impl Debuggee for crate::linux::Process {
    const SYSTEM: bool = false;

    fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let in_page = (crate::mem::PAGE_SIZE - (a % crate::mem::PAGE_SIZE)) as usize;
            let n = in_page.min(buf.len() - done);
            if self.mem.read_bytes(a, &mut buf[done..done + n]).is_err() {
                break;
            }
            done += n;
        }
        done
    }

    fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool {
        use crate::mem::prot;
        if self.mem.write_bytes(addr, data).is_ok() {
            return true;
        }
        // Code pages are not writable by the guest; the debugger may patch them (they are
        // private copies the loader filled).
        let len = data.len() as u64;
        let first = addr & !(crate::mem::PAGE_SIZE - 1);
        let mut page = first;
        while page < addr.saturating_add(len) {
            if self.mem.page_prot(page) & prot::EXEC == 0 {
                return false;
            }
            page += crate::mem::PAGE_SIZE;
        }
        self.mem.write_bytes_force(addr, data).is_ok()
    }

    fn threads(&self) -> Vec<u64> {
        vec![u64::from(std::process::id())]
    }

    fn extra_regs(&self, _cpu: &CpuState) -> Vec<u64> {
        Vec::new()
    }

    fn set_extra_regs(&mut self, _cpu: &CpuState, _regs: &[u64]) {}

    fn stop_signal(e: &Exception) -> Option<u8> {
        match e.cause {
            translator::Cause::EcallFromU => None,
            _ => u8::try_from(crate::linux::signal_for(e)).ok(),
        }
    }
}

impl Debuggee for crate::machine::Hart {
    const SYSTEM: bool = true;

    fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let n = (4096 - (a % 4096) as usize).min(buf.len() - done);
            // Through the current translation, else the address as a physical one.
            let pa = self
                .translate(a, crate::machine::mmu::Access::Load)
                .unwrap_or(a);
            match self.bus.ram_slice(pa, n as u64) {
                Some(s) => buf[done..done + n].copy_from_slice(s),
                None => break,
            }
            done += n;
        }
        done
    }

    fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool {
        let mut done = 0;
        while done < data.len() {
            let a = addr.wrapping_add(done as u64);
            let n = (4096 - (a % 4096) as usize).min(data.len() - done);
            let pa = self
                .translate(a, crate::machine::mmu::Access::Store)
                .unwrap_or(a);
            match self.bus.ram_slice_mut(pa, n as u64) {
                Some(s) => s.copy_from_slice(&data[done..done + n]),
                None => return false,
            }
            done += n;
        }
        true
    }

    fn threads(&self) -> Vec<u64> {
        vec![1]
    }

    fn extra_regs(&self, cpu: &CpuState) -> Vec<u64> {
        let mut v: Vec<u64> = SYSTEM_CSRS
            .iter()
            .map(|&(_, n)| {
                self.csr_read_as(cpu, n, crate::machine::Priv::M)
                    .unwrap_or(0)
            })
            .collect();
        v.push(self.privilege as u64);
        v
    }

    fn set_extra_regs(&mut self, cpu: &CpuState, regs: &[u64]) {
        let old = self.extra_regs(cpu);
        // Written as M-mode would (the reads above ignore the hart's privilege too).
        for (i, &(_, n)) in SYSTEM_CSRS.iter().enumerate() {
            if let (Some(&new), Some(&was)) = (regs.get(i), old.get(i)) {
                if new != was {
                    let _ = self.csr_write(cpu, n, new);
                }
            }
        }
        if let Some(&p) = regs.get(SYSTEM_CSRS.len()) {
            let p = match p & 3 {
                0 => crate::machine::Priv::U,
                1 => crate::machine::Priv::S,
                _ => crate::machine::Priv::M,
            };
            if p != self.privilege {
                self.set_privilege(p);
            }
        }
    }

    fn stop_signal(_e: &Exception) -> Option<u8> {
        None
    }
}

// ---- messages between the protocol thread and the guest thread ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    Continue,
    Step,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PointKind {
    Sw,
    Hw,
    Watch(WatchKind),
}

enum Req {
    ReadRegs,
    WriteRegs(Box<Regs>),
    ReadMem(u64, usize),
    WriteMem(u64, Vec<u8>),
    Threads,
    Point {
        add: bool,
        kind: PointKind,
        addr: u64,
        len: u64,
    },
    Resume(Resume),
    /// GDB detached (or the connection ended): run on without it.
    Detach,
    /// GDB killed the program.
    Kill,
}

enum Reply {
    Regs(Box<Regs>),
    Mem(Vec<u8>),
    Threads(Vec<u64>),
    Done(bool),
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Step,
    Break(PointKind),
    Watch { kind: WatchKind, addr: u64 },
    Signal(u8),
    Exited(u8),
    Terminated(u8),
}

enum Up {
    Reply(Reply),
    /// The guest stopped; the thread that stopped.
    Stop(Stop, u64),
}

// ---- the protocol thread ----

/// The target the `gdbstub` state machine talks to: forwards to the guest thread.
struct Proxy {
    down: Sender<Req>,
    up: Receiver<Up>,
    interrupt: Arc<AtomicBool>,
    xml: String,
    resume: Option<Resume>,
}

type ProxyError = &'static str;
const GONE: ProxyError = "the guest thread is gone";

impl Proxy {
    fn ask(&mut self, req: Req) -> Result<Reply, ProxyError> {
        self.down.send(req).map_err(|_| GONE)?;
        loop {
            match self.up.recv() {
                Ok(Up::Reply(r)) => return Ok(r),
                // A stop that raced with the request (cannot happen while stopped).
                Ok(Up::Stop(..)) => {}
                Err(_) => return Err(GONE),
            }
        }
    }

    fn point(
        &mut self,
        add: bool,
        kind: PointKind,
        addr: u64,
        len: u64,
    ) -> TargetResult<bool, Self> {
        match self.ask(Req::Point {
            add,
            kind,
            addr,
            len,
        }) {
            Ok(Reply::Done(ok)) => Ok(ok),
            Ok(_) => Err(TargetError::NonFatal),
            Err(e) => Err(TargetError::Fatal(e)),
        }
    }
}

fn tid_of(t: u64) -> Tid {
    NonZeroUsize::new(t as usize).unwrap_or(NonZeroUsize::MIN)
}

impl Target for Proxy {
    type Arch = Rv64;
    type Error = ProxyError;

    fn base_ops(&mut self) -> BaseOps<'_, Rv64, ProxyError> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }

    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }
}

impl MultiThreadBase for Proxy {
    fn read_registers(&mut self, regs: &mut Regs, _tid: Tid) -> TargetResult<(), Self> {
        match self.ask(Req::ReadRegs) {
            Ok(Reply::Regs(r)) => {
                *regs = *r;
                Ok(())
            }
            Ok(_) => Err(TargetError::NonFatal),
            Err(e) => Err(TargetError::Fatal(e)),
        }
    }

    fn write_registers(&mut self, regs: &Regs, _tid: Tid) -> TargetResult<(), Self> {
        match self.ask(Req::WriteRegs(Box::new(regs.clone()))) {
            Ok(Reply::Done(true)) => Ok(()),
            Ok(_) => Err(TargetError::NonFatal),
            Err(e) => Err(TargetError::Fatal(e)),
        }
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], _tid: Tid) -> TargetResult<usize, Self> {
        match self.ask(Req::ReadMem(start, data.len())) {
            Ok(Reply::Mem(m)) if !m.is_empty() => {
                let n = m.len().min(data.len());
                data[..n].copy_from_slice(&m[..n]);
                Ok(n)
            }
            Ok(_) => Err(TargetError::NonFatal),
            Err(e) => Err(TargetError::Fatal(e)),
        }
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        match self.ask(Req::WriteMem(start, data.to_vec())) {
            Ok(Reply::Done(true)) => Ok(()),
            Ok(_) => Err(TargetError::NonFatal),
            Err(e) => Err(TargetError::Fatal(e)),
        }
    }

    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), ProxyError> {
        match self.ask(Req::Threads)? {
            Reply::Threads(t) => {
                t.into_iter().for_each(|t| active(tid_of(t)));
                Ok(())
            }
            _ => Err(GONE),
        }
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadResume for Proxy {
    fn resume(&mut self) -> Result<(), ProxyError> {
        let r = self.resume.take().unwrap_or(Resume::Continue);
        self.down.send(Req::Resume(r)).map_err(|_| GONE)
    }

    fn clear_resume_actions(&mut self) -> Result<(), ProxyError> {
        self.resume = None;
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        _tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), ProxyError> {
        // One thread: a step request for it wins over a continue for "all others".
        if self.resume.is_none() {
            self.resume = Some(Resume::Continue);
        }
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSchedulerLocking for Proxy {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), ProxyError> {
        // Only the stepped thread runs: with one thread per process that is every thread.
        Ok(())
    }
}

impl MultiThreadSingleStep for Proxy {
    fn set_resume_action_step(
        &mut self,
        _tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), ProxyError> {
        self.resume = Some(Resume::Step);
        Ok(())
    }
}

impl Breakpoints for Proxy {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Proxy {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.point(true, PointKind::Sw, addr, 1)
    }
    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.point(false, PointKind::Sw, addr, 1)
    }
}

impl HwBreakpoint for Proxy {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.point(true, PointKind::Hw, addr, 1)
    }
    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.point(false, PointKind::Hw, addr, 1)
    }
}

impl HwWatchpoint for Proxy {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.point(true, PointKind::Watch(kind), addr, len)
    }
    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.point(false, PointKind::Watch(kind), addr, len)
    }
}

impl TargetDescriptionXmlOverride for Proxy {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::NonFatal);
        }
        let xml = self.xml.as_bytes();
        let start = (offset as usize).min(xml.len());
        let n = length.min(buf.len()).min(xml.len() - start);
        buf[..n].copy_from_slice(&xml[start..start + n]);
        Ok(n)
    }
}

enum EventLoop {}

impl BlockingEventLoop for EventLoop {
    type Target = Proxy;
    type Connection = TcpStream;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut Proxy,
        conn: &mut TcpStream,
    ) -> Result<
        run_blocking::Event<Self::StopReason>,
        run_blocking::WaitForStopReasonError<ProxyError, io::Error>,
    > {
        use run_blocking::{Event, WaitForStopReasonError as E};
        loop {
            match target.up.recv_timeout(Duration::from_millis(10)) {
                Ok(Up::Stop(s, tid)) => {
                    return Ok(Event::TargetStopped(stop_reason(s, tid_of(tid))))
                }
                Ok(Up::Reply(_)) => {}
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(E::Target(GONE)),
            }
            if conn.peek().map_err(E::Connection)?.is_some() {
                let b = conn.read().map_err(E::Connection)?;
                return Ok(Event::IncomingData(b));
            }
        }
    }

    fn on_interrupt(target: &mut Proxy) -> Result<Option<Self::StopReason>, ProxyError> {
        // The guest thread notices the flag at its next check and reports SIGINT.
        target.interrupt.store(true, Ordering::SeqCst);
        Ok(None)
    }
}

fn stop_reason(s: Stop, tid: Tid) -> MultiThreadStopReason<u64> {
    match s {
        Stop::Step => MultiThreadStopReason::DoneStep,
        Stop::Break(PointKind::Hw) => MultiThreadStopReason::HwBreak(tid),
        Stop::Break(_) => MultiThreadStopReason::SwBreak(tid),
        Stop::Watch { kind, addr } => MultiThreadStopReason::Watch { tid, kind, addr },
        Stop::Signal(n) => MultiThreadStopReason::SignalWithThread {
            tid,
            signal: Signal(n),
        },
        Stop::Exited(c) => MultiThreadStopReason::Exited(c),
        Stop::Terminated(n) => MultiThreadStopReason::Terminated(Signal(n)),
    }
}

fn serve(stream: TcpStream, mut proxy: Proxy) {
    let down = proxy.down.clone();
    let stub = GdbStub::new(stream);
    let end = match stub.run_blocking::<EventLoop>(&mut proxy) {
        Ok(DisconnectReason::Kill) => Req::Kill,
        Ok(_) => Req::Detach,
        Err(e) => {
            eprintln!("xlate: gdb connection ended: {e}");
            Req::Detach
        }
    };
    let _ = down.send(end);
}

// ---- the guest side ----

/// The engine's run function, as [`GdbControl::run_step`] is given it (see `trace::RunFn`).
pub type EngineRun<'a, E> = dyn FnMut(&mut Interp<E>, u64) -> Result<(), Exception> + 'a;

/// A breakpoint or watchpoint the debugger set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Watch {
    addr: u64,
    len: u64,
    read: bool,
    write: bool,
}

#[derive(Default)]
struct Points {
    sw: BTreeSet<u64>,
    hw: BTreeSet<u64>,
    watch: Vec<(Watch, WatchKind)>,
}

impl Points {
    fn is_empty(&self) -> bool {
        self.sw.is_empty() && self.hw.is_empty() && self.watch.is_empty()
    }
}

/// What the guest thread is doing for the debugger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Stopped: answering requests until GDB resumes.
    Stopped,
    Running(Resume),
    /// GDB went away: the guest runs freely.
    Detached,
}

/// The guest thread's half of the stub, for a machine of type `E` (see the module docs).
pub struct GdbControl<E: Debuggee> {
    down: Receiver<Req>,
    up: Sender<Up>,
    interrupt: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    state: State,
    points: Points,
    /// A stop to report at the next call (a single step ended by a system call the run loop
    /// handled in between).
    owed: Option<Stop>,
    /// An exception reported to GDB as a signal, handed to the run loop once GDB resumes.
    held: Option<Exception>,
    /// Do not stop at a breakpoint on this pc (the one execution resumed at).
    skip_bp: Option<u64>,
    table: Table<Interp<E>>,
    /// The host process GDB is attached to.
    pid: u32,
    /// The thread that runs (one per process until threads come).
    tid: u64,
    _e: PhantomData<E>,
}

impl<E: Debuggee> GdbControl<E>
where
    Interp<E>: translator::emit::Emitter,
{
    /// Starts serving GDB on `stream`; the guest is stopped until GDB resumes it.
    pub fn new(stream: TcpStream, env: &E) -> io::Result<Self> {
        let (down_tx, down_rx) = channel();
        let (up_tx, up_rx) = channel();
        let interrupt = Arc::new(AtomicBool::new(false));
        let proxy = Proxy {
            down: down_tx,
            up: up_rx,
            interrupt: interrupt.clone(),
            xml: target_xml(E::SYSTEM),
            resume: None,
        };
        let thread = std::thread::Builder::new()
            .name("gdbstub".into())
            .spawn(move || serve(stream, proxy))?;
        Ok(Self {
            down: down_rx,
            up: up_tx,
            interrupt,
            thread: Some(thread),
            state: State::Stopped,
            points: Points::default(),
            owed: None,
            held: None,
            skip_bp: None,
            table: translator::riscv::table(),
            pid: std::process::id(),
            tid: env.threads().first().copied().unwrap_or(1),
            _e: PhantomData,
        })
    }

    /// Runs guest code for the run loop, where it would call the engine's `run(m, budget)`:
    /// returns what the engine would (an exception for the run loop, or `Ok` to be called
    /// again), after serving the debugger while the guest is stopped.
    pub fn run_step(
        &mut self,
        m: &mut Interp<E>,
        run: &mut EngineRun<E>,
        budget: u64,
    ) -> Result<(), Exception> {
        if let Some(s) = self.owed.take() {
            return self.halt(m, s);
        }
        if self.state == State::Stopped {
            self.serve(m);
            if let Some(e) = self.held.take() {
                return Err(e);
            }
        }
        let mode = match self.state {
            State::Detached => return run(m, budget),
            State::Stopped => return Ok(()),
            State::Running(r) => r,
        };
        if self.interrupt.swap(false, Ordering::SeqCst) {
            return self.halt(m, Stop::Signal(GDB_SIGINT));
        }
        if mode == Resume::Continue && self.points.is_empty() {
            // Free run: the engine (translated code) in slices; Ctrl-C is seen between them.
            let r = run(m, budget);
            return self.after_exception(m, r, mode);
        }
        let n = if mode == Resume::Step {
            1
        } else {
            budget.clamp(1, STEP_SLICE)
        };
        for _ in 0..n {
            let pc = m.cpu.pc;
            if mode == Resume::Continue && self.skip_bp != Some(pc) {
                if self.points.hw.contains(&pc) {
                    return self.halt(m, Stop::Break(PointKind::Hw));
                }
                if self.points.sw.contains(&pc) {
                    return self.halt(m, Stop::Break(PointKind::Sw));
                }
                if !self.points.watch.is_empty() {
                    // RISC-V triggers fire before the access: GDB then steps over it with the
                    // watchpoints removed and compares the value.
                    if let Some((kind, addr)) = self.watch_hit(m) {
                        return self.halt(m, Stop::Watch { kind, addr });
                    }
                }
            }
            self.skip_bp = None;
            let r = self.exec_one(m);
            if r.is_err() {
                return self.after_exception(m, r, mode);
            }
            if mode == Resume::Step {
                return self.halt(m, Stop::Step);
            }
            if self.interrupt.load(Ordering::Relaxed) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The guest ended: tells GDB (`W`/`X`) and waits until it has been told.
    pub fn report_exit(&mut self, exit: Option<Result<u8, u8>>) {
        if self.state != State::Detached {
            let s = match exit {
                Some(Ok(code)) => Stop::Exited(code),
                Some(Err(sig)) => Stop::Terminated(sig),
                None => Stop::Terminated(9),
            };
            let _ = self.up.send(Up::Stop(s, self.tid));
            self.state = State::Detached;
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn after_exception(
        &mut self,
        m: &mut Interp<E>,
        r: Result<(), Exception>,
        mode: Resume,
    ) -> Result<(), Exception> {
        let Err(e) = r else { return Ok(()) };
        if let Some(sig) = E::stop_signal(&e) {
            self.held = Some(e);
            return self.halt(m, Stop::Signal(sig));
        }
        if mode == Resume::Step {
            // The run loop handles it (a system call, a trap into the guest's handler); the
            // step is complete when it has.
            self.owed = Some(Stop::Step);
            self.state = State::Stopped;
        }
        Err(e)
    }

    /// Reports the stop and serves GDB at once (the run loop must not move the guest in
    /// between: no signal delivery, no interrupt taken), then returns to the run loop with the
    /// exception GDB was shown, if any.
    fn halt(&mut self, m: &mut Interp<E>, s: Stop) -> Result<(), Exception> {
        self.stop(s);
        if self.state == State::Stopped {
            self.serve(m);
        }
        match self.held.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn stop(&mut self, s: Stop) {
        if std::process::id() != self.pid {
            // A forked child (fork is a host fork): GDB debugs the parent only.
            self.detach();
            return;
        }
        self.state = State::Stopped;
        if self.up.send(Up::Stop(s, self.tid)).is_err() {
            self.detach();
        }
    }

    fn detach(&mut self) {
        self.state = State::Detached;
        self.points = Points::default();
    }

    /// Answers GDB until it resumes the guest, detaches or kills it.
    fn serve(&mut self, m: &mut Interp<E>) {
        while self.state == State::Stopped {
            let Ok(req) = self.down.recv() else {
                self.detach();
                return;
            };
            let reply = match req {
                Req::ReadRegs => {
                    let c = &m.cpu;
                    Reply::Regs(Box::new(Regs {
                        x: c.x,
                        pc: c.pc,
                        f: c.f,
                        fflags: (c.fflags & 0x1f) as u32,
                        frm: (c.frm & 7) as u32,
                        csrs: m.env.extra_regs(c),
                    }))
                }
                Req::WriteRegs(r) => {
                    let c = &mut m.cpu;
                    c.x = r.x;
                    c.x[0] = 0;
                    c.pc = r.pc;
                    c.f = r.f;
                    c.fflags = u64::from(r.fflags & 0x1f);
                    c.frm = u64::from(r.frm & 7);
                    if !r.csrs.is_empty() {
                        m.env.set_extra_regs(&m.cpu, &r.csrs);
                    }
                    Reply::Done(true)
                }
                Req::ReadMem(addr, len) => {
                    let mut buf = vec![0u8; len.min(1 << 20)];
                    let n = m.env.read_mem(addr, &mut buf);
                    buf.truncate(n);
                    Reply::Mem(buf)
                }
                Req::WriteMem(addr, data) => {
                    let ok = m.env.write_mem(addr, &data);
                    // The bytes may be code: decoded and translated copies must go.
                    m.env.fence_i();
                    Reply::Done(ok)
                }
                Req::Threads => Reply::Threads(m.env.threads()),
                Req::Point {
                    add,
                    kind,
                    addr,
                    len,
                } => Reply::Done(self.set_point(add, kind, addr, len)),
                Req::Resume(r) => {
                    self.state = State::Running(r);
                    self.skip_bp = Some(m.cpu.pc);
                    self.interrupt.store(false, Ordering::SeqCst);
                    continue;
                }
                Req::Detach => {
                    self.detach();
                    continue;
                }
                Req::Kill => {
                    // As a SIGKILL would: the run ends here, with 128+9.
                    let _ = std::io::Write::flush(&mut std::io::stdout());
                    std::process::exit(137);
                }
            };
            if self.up.send(Up::Reply(reply)).is_err() {
                self.detach();
            }
        }
    }

    fn set_point(&mut self, add: bool, kind: PointKind, addr: u64, len: u64) -> bool {
        let set = match kind {
            PointKind::Sw => &mut self.points.sw,
            PointKind::Hw => &mut self.points.hw,
            PointKind::Watch(k) => {
                let w = Watch {
                    addr,
                    len: len.max(1),
                    read: !matches!(k, WatchKind::Write),
                    write: !matches!(k, WatchKind::Read),
                };
                if add {
                    self.points.watch.push((w, k));
                    return true;
                }
                return match self.points.watch.iter().position(|p| *p == (w, k)) {
                    Some(i) => {
                        self.points.watch.remove(i);
                        true
                    }
                    None => false,
                };
            }
        };
        if add {
            set.insert(addr);
            true
        } else {
            set.remove(&addr)
        }
    }

    /// Decodes the instruction at pc afresh (shared decode table).
    fn decode(
        &self,
        m: &mut Interp<E>,
    ) -> Result<translator::decode::Decoded<Interp<E>>, Exception> {
        let pc = m.cpu.pc;
        let lo = m.env.fetch16(pc)?;
        let env = &mut m.env;
        match self.table.decode(lo, || env.fetch16(pc.wrapping_add(2))) {
            Ok(d) => Ok(d),
            Err(DecodeError::Fetch(e)) => Err(e),
        }
    }

    /// Runs exactly the instruction at pc with the interpreter's semantics. Pending code-flush
    /// notices are left for the engine (it has not seen them yet).
    fn exec_one(&self, m: &mut Interp<E>) -> Result<(), Exception> {
        let pc = m.cpu.pc;
        let d = self.decode(m)?;
        run_block(m, &Block::single(pc, d))
    }

    /// The watchpoint the instruction at pc would trigger, and the watched address it touches.
    fn watch_hit(&self, m: &mut Interp<E>) -> Option<(WatchKind, u64)> {
        let d = self.decode(m).ok()?;
        let (addr, size, load, store) = mem_access(&d.insn, &m.cpu.x)?;
        for (w, k) in &self.points.watch {
            let overlaps =
                addr < w.addr.saturating_add(w.len) && w.addr < addr.saturating_add(size);
            if !overlaps {
                continue;
            }
            let hit_kind = match k {
                WatchKind::Write if store => WatchKind::Write,
                WatchKind::Read if load => WatchKind::Read,
                WatchKind::ReadWrite if load || store => WatchKind::ReadWrite,
                _ => continue,
            };
            return Some((hit_kind, addr.max(w.addr)));
        }
        None
    }
}

/// The data access an instruction makes: address, size, whether it loads and stores (loads,
/// stores, floating-point loads and stores, LR/SC and AMOs; compressed forms arrive expanded).
fn mem_access(insn: &translator::decode::Insn, x: &[u64; 32]) -> Option<(u64, u64, bool, bool)> {
    let raw = insn.raw;
    let f3 = (raw >> 12) & 7;
    let base = x[usize::from(insn.rs1 & 31)];
    let at = base.wrapping_add(insn.imm as u64);
    match raw & 0x7f {
        0x03 => Some((at, 1 << (f3 & 3), true, false)),
        0x07 if f3 == 2 || f3 == 3 => Some((at, 1 << f3, true, false)),
        0x23 => Some((at, 1 << (f3 & 3), false, true)),
        0x27 if f3 == 2 || f3 == 3 => Some((at, 1 << f3, false, true)),
        0x2f if f3 == 2 || f3 == 3 => {
            let size = 1 << f3;
            match raw >> 27 {
                0x02 => Some((base, size, true, false)),
                0x03 => Some((base, size, false, true)),
                _ => Some((base, size, true, true)),
            }
        }
        _ => None,
    }
}

impl crate::trace::Control for GdbControl<crate::linux::Process> {
    fn step(
        &mut self,
        m: &mut Interp<crate::linux::Process>,
        run: &mut crate::trace::RunFn,
    ) -> Result<(), Exception> {
        // The run loop bounds `run`'s budget itself.
        self.run_step(m, run, u64::MAX)
    }

    fn exited(&mut self, _m: &mut Interp<crate::linux::Process>, exit: crate::linux::Exit) {
        use crate::linux::Exit;
        self.report_exit(match exit {
            Exit::Code(c) => Some(Ok((c & 0xff) as u8)),
            Exit::Signal(s) => Some(Err(u8::try_from(s).unwrap_or(9))),
            Exit::Limit(_) => None,
        });
    }
}
