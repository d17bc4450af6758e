//! Processes of riscv64 Linux guests (clone without CLONE_THREAD, vfork, wait4,
//! waitid, execve; clone with CLONE_THREAD is `threads`), following the asm-generic syscall ABI: a fork is a host fork of the whole
//! translator (the child goes on running the guest from the same state, with a copy of guest
//! memory and translated code); an execve of a riscv64 ELF runs it under this translator again
//! with the same options (no binfmt_misc needed), an execve of anything else is a host execve.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use translator::CpuState;

use super::signal;
use super::syscall::errno::*;
use super::syscall::{cvt, Args, SysResult};
use super::Process;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// clone(flags, newsp, parent_tid, tls, child_tid) (the riscv64 argument order) for a new
/// process. Sharing the address space (CLONE_VM without CLONE_THREAD, as vfork does) gets a
/// copy instead: a vfork child may only exec or _exit, which a copy does as well.
pub fn clone(p: &mut Process, cpu: &mut CpuState, a: &Args) -> SysResult {
    let (flags, newsp, ptid, tls, ctid) = (a[0], a[1], a[2], a[3], a[4]);
    if flags & CLONE_THREAD != 0 {
        return super::threads::spawn(p, cpu, flags, newsp, ptid, tls, ctid);
    }
    if flags & (CLONE_SIGHAND | CLONE_FS | CLONE_FILES | CLONE_PIDFD | CLONE_PARENT) != 0
        && flags & CLONE_VM == 0
    {
        return Err(EINVAL);
    }
    let _ = CLONE_VFORK;
    if let Some(out) = p.strace_out.as_mut() {
        let _ = out.flush();
    }
    // The translated code's locks are held across the fork, so the child (where the other
    // threads do not exist) finds them free.
    let jit_code = p.jit_code.clone();
    let guard = jit_code.as_ref().map(|c| c.fork_guard());
    // SAFETY: a host fork; only the calling thread goes on in the child (as Linux forks only
    // the calling guest thread), with a copy of guest memory, and forgets the other threads.
    let pid = unsafe { libc::fork() };
    drop(guard);
    if pid < 0 {
        return Err(Errno::last());
    }
    if pid == 0 {
        // The child: no signals pending (Linux clears them), its own ids, no other threads.
        super::threads::after_fork(p);
        signal::forget_pending(p);
        let me = signal::gettid() as u64;
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = p.mem.store(ctid, me, translator::emit::Width::W);
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            p.sys.clear_child_tid = ctid;
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            let _ = p.mem.store(ptid, me, translator::emit::Width::W);
        }
        if newsp != 0 {
            cpu.x[2] = newsp;
        }
        if flags & CLONE_SETTLS != 0 {
            cpu.x[4] = tls;
        }
        return Ok(0);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = p.mem.store(ptid, pid as u64, translator::emit::Width::W);
    }
    Ok(pid as u64)
}

/// clone3(args, size): the same, from `struct clone_args`.
pub fn clone3(p: &mut Process, cpu: &mut CpuState, a: &Args) -> SysResult {
    if a[1] < 64 {
        return Err(EINVAL);
    }
    let mut b = [0u8; 64];
    p.mem.read_bytes(a[0], &mut b)?;
    let g = |i: usize| super::syscall::abi::get_u64(&b, i * 8);
    // flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls
    let (flags, child_tid, parent_tid, exit_signal, stack, stack_size, tls) =
        (g(0), g(2), g(3), g(4), g(5), g(6), g(7));
    let sp = if stack != 0 { stack + stack_size } else { 0 };
    let args = [
        flags | (exit_signal & 0xff),
        sp,
        parent_tid,
        tls,
        child_tid,
        0,
    ];
    clone(p, cpu, &args)
}

/// wait4(pid, wstatus, options, rusage): status words and `struct rusage` have the same
/// layout on both ABIs.
pub fn wait4(p: &mut Process, a: &Args) -> SysResult {
    let mut status: i32 = 0;
    let mut ru = [0u8; super::syscall::abi::RUSAGE_SIZE];
    if a[1] != 0 {
        p.mem.slice_mut(a[1], 4)?;
    }
    if a[3] != 0 {
        p.mem.slice_mut(a[3], ru.len() as u64)?;
    }
    // SAFETY: host out-parameters.
    let r = cvt(unsafe {
        libc::syscall(
            libc::SYS_wait4,
            a[0] as i32 as libc::c_long,
            &mut status as *mut i32,
            a[2] as i32 as libc::c_long,
            ru.as_mut_ptr(),
        )
    })?;
    if a[1] != 0 && r != 0 {
        p.mem.write_bytes(a[1], &status.to_le_bytes())?;
    }
    if a[3] != 0 {
        p.mem.write_bytes(a[3], &ru)?;
    }
    Ok(r)
}

/// waitid(idtype, id, infop, options, rusage): siginfo and rusage pass through.
pub fn waitid(p: &mut Process, a: &Args) -> SysResult {
    let mut info = [0u8; 128];
    let mut ru = [0u8; super::syscall::abi::RUSAGE_SIZE];
    if a[2] != 0 {
        p.mem.slice_mut(a[2], 128)?;
    }
    if a[4] != 0 {
        p.mem.slice_mut(a[4], ru.len() as u64)?;
    }
    // SAFETY: host out-parameters.
    let r = cvt(unsafe {
        libc::syscall(
            libc::SYS_waitid,
            a[0] as i32 as libc::c_long,
            a[1] as i32 as libc::c_long,
            info.as_mut_ptr(),
            a[3] as i32 as libc::c_long,
            ru.as_mut_ptr(),
        )
    })?;
    if a[2] != 0 {
        p.mem.write_bytes(a[2], &info)?;
    }
    if a[4] != 0 {
        p.mem.write_bytes(a[4], &ru)?;
    }
    Ok(r)
}

/// Reads a NULL-terminated guest array of string pointers.
fn read_strv(p: &Process, mut addr: u64) -> Result<Vec<CString>, Errno> {
    let mut v = Vec::new();
    if addr == 0 {
        return Ok(v);
    }
    loop {
        let s = p.mem.read_u64(addr)?;
        if s == 0 {
            return Ok(v);
        }
        if v.len() >= 1 << 20 {
            return Err(E2BIG);
        }
        let bytes = p.mem.read_cstr(s, 1 << 20).map_err(|_| EFAULT)?;
        v.push(CString::new(bytes).map_err(|_| EINVAL)?);
        addr += 8;
    }
}

/// Whether the file starts with an ELF header of a 64-bit little-endian RISC-V program.
fn is_riscv64_elf(path: &CString) -> bool {
    use std::io::Read;
    let os = std::ffi::OsStr::from_bytes(path.as_bytes());
    let mut h = [0u8; 20];
    match std::fs::File::open(os).and_then(|mut f| f.read_exact(&mut h)) {
        Ok(()) => h[..4] == *b"\x7fELF" && h[4] == 2 && h[5] == 1 && h[18..20] == [243, 0],
        Err(_) => false,
    }
}

/// execve(path, argv, envp).
pub fn execve(p: &mut Process, a: &Args) -> SysResult {
    let raw = super::syscall::read_path(p, a[0])?;
    let path = match p.opts.sandbox.root.clone() {
        // Under `--root` the program is resolved inside the jail, and only a riscv64 program
        // may run (under xlate, jailed again by the options passed on): a host program or a
        // `#!` script would run unconfined on the host.
        Some(root) => {
            let host = root.resolve_guest_exec(&raw)?;
            let c = CString::new(host.as_os_str().as_bytes()).map_err(|_| EINVAL)?;
            if !is_riscv64_elf(&c) {
                return Err(EACCES);
            }
            c
        }
        None => super::syscall::fs_host_path(p, raw)?,
    };
    let argv = read_strv(p, a[1])?;
    let envp = read_strv(p, a[2])?;
    let os = std::ffi::OsStr::from_bytes(path.as_bytes());
    let meta = std::fs::metadata(os).map_err(|e| Errno(e.raw_os_error().unwrap_or(2)))?;
    if meta.is_dir() {
        return Err(EACCES);
    }
    // SAFETY: access() with a host C string.
    if unsafe { libc::access(path.as_ptr(), libc::X_OK) } != 0 {
        return Err(Errno::last());
    }
    let (prog, args): (CString, Vec<CString>) = if is_riscv64_elf(&path) {
        let me = std::env::current_exe().map_err(|_| ENOEXEC)?;
        let me = CString::new(me.as_os_str().as_bytes()).map_err(|_| ENOEXEC)?;
        let mut v = vec![me.clone(), CString::from(c"run")];
        for o in &p.opts.reexec_args {
            v.push(CString::new(o.as_bytes()).map_err(|_| EINVAL)?);
        }
        if let Some(a0) = argv.first() {
            v.push(CString::from(c"--argv0"));
            v.push(a0.clone());
        }
        v.push(path.clone());
        v.extend(argv.iter().skip(1).cloned());
        (me, v)
    } else {
        (path, argv)
    };
    if let Some(out) = p.strace_out.as_mut() {
        let _ = out.flush();
    }
    let mut av: Vec<*const libc::c_char> = args.iter().map(|s| s.as_ptr()).collect();
    av.push(std::ptr::null());
    let mut ev: Vec<*const libc::c_char> = envp.iter().map(|s| s.as_ptr()).collect();
    ev.push(std::ptr::null());
    // A signal the host handler took since the engine last polled (translated code polls
    // every few thousand instructions) would be lost with this process image, where Linux
    // delivers it before the call or keeps it pending across it: deliver it first, and the
    // call is made again (see `signal::restart_after_eintr`). A `kill` right after a fork
    // that execs (`sleep 10 & kill $!`) used to vanish this way.
    if signal::deliverable(p) {
        return Err(EINTR);
    }
    signal::before_exec(p);
    // SAFETY: NULL-terminated arrays of host C strings that outlive the call.
    unsafe { libc::execve(prog.as_ptr(), av.as_ptr(), ev.as_ptr()) };
    let e = Errno::last();
    signal::sync_host_mask(p);
    Err(e)
}
