//! Process, identity, resource and signal-disposition syscalls of the Linux riscv64 ABI
//! (asm-generic unistd.h 92..179, 258, 261, 278, 283). Signal numbers are the generic ones
//! (identical to x86-64's); `struct sigaction` and `stack_t` use the riscv64 layouts in `abi`.

use super::abi::{self, bytes_of, zeroed};
use super::errno::*;
use super::{cvt, cvt_i, AltStack, Args, SigAction, SysResult};
use crate::linux::{signal, Process};
use translator::CpuState;

pub fn getpid() -> u64 {
    std::process::id() as u64
}

pub fn getgroups(p: &mut Process, a: &Args) -> SysResult {
    let size = a[0] as i32;
    if size < 0 {
        return Err(EINVAL);
    }
    let mut groups = vec![0 as libc::gid_t; (size as usize).min(65536)];
    // SAFETY: host buffer of groups.len() gid_t.
    let n = cvt_i(unsafe { libc::getgroups(groups.len() as i32, groups.as_mut_ptr()) })?;
    if size > 0 {
        let bytes: Vec<u8> = groups[..n as usize]
            .iter()
            .flat_map(|g| g.to_le_bytes())
            .collect();
        p.mem.write_bytes(a[1], &bytes)?;
    }
    Ok(n)
}

pub fn getres(p: &mut Process, a: &Args, uid: bool) -> SysResult {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three host u32 out-parameters.
    cvt_i(unsafe {
        if uid {
            libc::getresuid(&mut r, &mut e, &mut s)
        } else {
            libc::getresgid(&mut r, &mut e, &mut s)
        }
    })?;
    for (i, v) in [r, e, s].into_iter().enumerate() {
        p.mem.store(a[i], v as u64, translator::emit::Width::W)?;
    }
    Ok(0)
}

/// set*id: a no-op when every requested id is already the current one (or -1), else EPERM.
/// (Changing the identity of the whole translator process is not something a guest may do.)
pub fn setid(nr: u64, a: &Args) -> SysResult {
    use super::nr::*;
    // SAFETY: plain getters.
    let (uid, euid, gid, egid) = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let ok = |v: u64, cur: &[u32]| v as u32 == u32::MAX || cur.contains(&(v as u32));
    let fine = match nr {
        SETUID => ok(a[0], &[uid, euid]),
        SETGID => ok(a[0], &[gid, egid]),
        SETREUID => ok(a[0], &[uid]) && ok(a[1], &[euid]),
        SETREGID => ok(a[0], &[gid]) && ok(a[1], &[egid]),
        SETRESUID => ok(a[0], &[uid]) && ok(a[1], &[euid]) && ok(a[2], &[euid]),
        SETRESGID => ok(a[0], &[gid]) && ok(a[1], &[egid]) && ok(a[2], &[egid]),
        _ => false,
    };
    if fine {
        Ok(0)
    } else {
        Err(EPERM)
    }
}

/// setfsuid/setfsgid always return the previous id; they never fail.
pub fn setfsid(nr: u64) -> SysResult {
    // SAFETY: plain getters.
    Ok(unsafe {
        if nr == super::nr::SETFSUID {
            libc::geteuid()
        } else {
            libc::getegid()
        }
    } as u64)
}

pub fn uname(p: &mut Process, a: &Args) -> SysResult {
    let mut u: libc::utsname = zeroed();
    // SAFETY: host struct utsname.
    cvt_i(unsafe { libc::uname(&mut u) })?;
    let mut b = [0u8; abi::UTSNAME_SIZE];
    b.copy_from_slice(bytes_of(&u));
    // machine is the fifth field.
    let m = &mut b[4 * 65..5 * 65];
    m.fill(0);
    m[..7].copy_from_slice(b"riscv64");
    p.mem.write_bytes(a[0], &b)?;
    Ok(0)
}

/// prlimit64(pid, resource, new, old) (also getrlimit/setrlimit: same struct of two u64).
/// New limits on the address space, data and stack are accepted but not applied: they would
/// constrain the translator itself (its guest reservation and code buffers), as in qemu-user.
pub fn prlimit(p: &mut Process, pid: u64, res: u64, new: u64, old: u64) -> SysResult {
    const RLIMIT_DATA: u64 = 2;
    const RLIMIT_STACK: u64 = 3;
    const RLIMIT_AS: u64 = 9;
    let mut n = [0u8; 16];
    let own = pid == 0 || pid as i32 as u64 == getpid();
    let apply = !(own && matches!(res, RLIMIT_DATA | RLIMIT_STACK | RLIMIT_AS));
    if new != 0 && !apply {
        p.mem.read_bytes(new, &mut n)?;
        if abi::get_u64(&n, 0) > abi::get_u64(&n, 8) {
            return Err(EINVAL);
        }
    }
    let np = if new != 0 && apply {
        p.mem.read_bytes(new, &mut n)?;
        n.as_ptr()
    } else {
        std::ptr::null()
    };
    let mut o = [0u8; 16];
    let op = if old != 0 {
        p.mem.slice_mut(old, 16)?;
        o.as_mut_ptr()
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: host copies of struct rlimit64 (same layout) or NULL.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_prlimit64,
            pid as i32 as libc::c_long,
            res as u32 as libc::c_long,
            np,
            op,
        )
    })?;
    if old != 0 {
        p.mem.write_bytes(old, &o)?;
    }
    Ok(0)
}

pub fn get_robust_list(p: &mut Process, a: &Args) -> SysResult {
    if a[0] != 0 && a[0] as i32 as u64 != getpid() {
        return Err(ESRCH);
    }
    p.mem.write_u64(a[1], p.sys.robust_list.0)?;
    p.mem.write_u64(a[2], p.sys.robust_list.1)?;
    Ok(0)
}

pub fn sched_getaffinity(p: &mut Process, a: &Args) -> SysResult {
    let size = a[1];
    if size & 7 != 0 || size == 0 {
        return Err(EINVAL);
    }
    let mut buf = vec![0u8; size.min(8192) as usize];
    // SAFETY: host buffer of buf.len() bytes.
    let n = cvt(unsafe {
        libc::syscall(
            libc::SYS_sched_getaffinity,
            a[0] as i32 as libc::c_long,
            buf.len(),
            buf.as_mut_ptr(),
        )
    })?;
    p.mem.write_bytes(a[2], &buf[..n as usize])?;
    Ok(n)
}

pub fn getcpu(p: &mut Process, a: &Args) -> SysResult {
    let (mut cpu, mut node) = (0u32, 0u32);
    // SAFETY: two host u32 out-parameters.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_getcpu,
            &mut cpu as *mut u32,
            &mut node as *mut u32,
            0,
        )
    })?;
    if a[0] != 0 {
        p.mem.store(a[0], cpu as u64, translator::emit::Width::W)?;
    }
    if a[1] != 0 {
        p.mem.store(a[1], node as u64, translator::emit::Width::W)?;
    }
    Ok(0)
}

pub fn getrusage(p: &mut Process, a: &Args) -> SysResult {
    let mut r: libc::rusage = zeroed();
    // SAFETY: host struct rusage (same layout).
    cvt_i(unsafe { libc::getrusage(a[0] as i32, &mut r) })?;
    p.mem.write_bytes(a[1], bytes_of(&r))?;
    Ok(0)
}

pub fn sysinfo(p: &mut Process, a: &Args) -> SysResult {
    let mut s: libc::sysinfo = zeroed();
    // SAFETY: host struct sysinfo (same layout).
    cvt_i(unsafe { libc::sysinfo(&mut s) })?;
    p.mem.write_bytes(a[0], bytes_of(&s))?;
    Ok(0)
}

pub fn times(p: &mut Process, a: &Args) -> SysResult {
    let mut t: libc::tms = zeroed();
    // SAFETY: host struct tms.
    let r = unsafe { libc::times(&mut t) };
    if a[0] != 0 {
        p.mem.write_bytes(a[0], bytes_of(&t))?;
    }
    Ok(r as u64)
}

pub fn getrandom(p: &mut Process, a: &Args) -> SysResult {
    let len = a[1].min(super::MAX_RW_COUNT);
    let buf = p.mem.slice_mut(a[0], len)?;
    // SAFETY: checked writable host slice of guest memory.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_getrandom,
            buf.as_mut_ptr(),
            buf.len(),
            a[2] as u32,
        )
    })
}

pub fn personality(p: &mut Process, persona: u64) -> u64 {
    let old = p.sys.personality;
    if persona as u32 != 0xffff_ffff {
        p.sys.personality = persona as u32;
    }
    old as u64
}

pub fn prctl(p: &mut Process, a: &Args) -> SysResult {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    match a[0] {
        PR_SET_NAME => {
            let mut name = [0u8; 16];
            for (i, slot) in name.iter_mut().take(15).enumerate() {
                let c = p.mem.load(a[1] + i as u64, translator::emit::Width::B)? as u8;
                if c == 0 {
                    break;
                }
                *slot = c;
            }
            p.sys.comm = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = p.sys.comm;
            if name[0] == 0 {
                let exe = p.exe_path.file_name().map(|s| s.as_encoded_bytes());
                let exe = exe.unwrap_or(b"");
                let n = exe.len().min(15);
                name[..n].copy_from_slice(&exe[..n]);
            }
            p.mem.write_bytes(a[1], &name)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(1),
        PR_SET_DUMPABLE | PR_SET_PDEATHSIG | PR_SET_NO_NEW_PRIVS => Ok(0),
        PR_GET_NO_NEW_PRIVS => Ok(0),
        _ => Err(EINVAL),
    }
}

/// futex for a single-threaded process: wakes find nobody, a wait on a changed value is EAGAIN,
/// a wait that would block forever is reported as ENOSYS (threads come later).
pub fn membarrier(a: &Args) -> SysResult {
    const MEMBARRIER_CMD_QUERY: u64 = 0;
    match a[0] {
        MEMBARRIER_CMD_QUERY => Ok(0),
        _ => Err(EINVAL),
    }
}

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
/// Signals that can never be caught or blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// rt_sigaction(sig, act, oact, sigsetsize), riscv64 `struct sigaction` without sa_restorer.
pub fn rt_sigaction(p: &mut Process, a: &Args) -> SysResult {
    let (sig, act, oact) = (a[0], a[1], a[2]);
    if a[3] != 8 || sig == 0 || sig > 64 || (act != 0 && (sig == SIGKILL || sig == SIGSTOP)) {
        return Err(EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; abi::SIGACTION_SIZE];
        p.mem.read_bytes(act, &mut b)?;
        Some(SigAction {
            handler: abi::get_u64(&b, 0),
            flags: abi::get_u64(&b, 8),
            mask: abi::get_u64(&b, 16) & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let i = (sig - 1) as usize;
    if oact != 0 {
        let old = p.sys.sigactions.get(i);
        let mut f = abi::Fields::<{ abi::SIGACTION_SIZE }>::new();
        f.u64(0, old.handler).u64(8, old.flags).u64(16, old.mask);
        p.mem.write_bytes(oact, &f.0)?;
    }
    if let Some(n) = new {
        p.sys.sigactions.set(i, n);
        let s = sig as i32;
        // POSIX: setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards pending ones.
        let dfl = signal::default_action(s);
        if n.handler == signal::SIG_IGN
            || (n.handler == signal::SIG_DFL && dfl == signal::Default_::Ignore)
        {
            signal::discard(p, s);
        }
        signal::sync_host_action(s, &n);
    }
    Ok(0)
}

pub fn rt_sigprocmask(p: &mut Process, a: &Args) -> SysResult {
    const SIG_BLOCK: u64 = 0;
    const SIG_UNBLOCK: u64 = 1;
    const SIG_SETMASK: u64 = 2;
    let (how, set, oset) = (a[0], a[1], a[2]);
    if a[3] != 8 {
        return Err(EINVAL);
    }
    let new = if set != 0 {
        if how > SIG_SETMASK {
            return Err(EINVAL);
        }
        Some(p.mem.read_u64(set)?)
    } else {
        None
    };
    if oset != 0 {
        p.mem.write_u64(oset, p.sys.sigmask)?;
    }
    if let Some(s) = new {
        let m = match how {
            SIG_BLOCK => p.sys.sigmask | s,
            SIG_UNBLOCK => p.sys.sigmask & !s,
            _ => s,
        };
        p.sys.sigmask = m & !UNBLOCKABLE;
        signal::sync_host_mask(p);
    }
    Ok(0)
}

/// sigaltstack(ss, old_ss) with riscv64 `stack_t` (ss_sp, ss_flags, ss_size).
pub fn sigaltstack(p: &mut Process, cpu: &CpuState, a: &Args) -> SysResult {
    const SS_ONSTACK: i32 = 1;
    const SS_DISABLE: i32 = 2;
    const SS_AUTODISARM: u32 = 1 << 31;
    const MINSIGSTKSZ: u64 = 2048;
    let new = if a[0] != 0 {
        let mut b = [0u8; abi::STACK_T_SIZE];
        p.mem.read_bytes(a[0], &mut b)?;
        let ss = AltStack {
            sp: abi::get_u64(&b, 0),
            flags: abi::get_u32(&b, 8) as i32,
            size: abi::get_u64(&b, 16),
        };
        let mode = (ss.flags as u32 & !SS_AUTODISARM) as i32;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(EINVAL);
        }
        Some(ss)
    } else {
        None
    };
    let cur = p.sys.altstack;
    let sp = cpu.x[2];
    let on_stack = cur.is_some_and(|s| sp.wrapping_sub(s.sp) < s.size);
    if a[1] != 0 {
        let (ssp, flags, size) = match cur {
            Some(s) => (
                s.sp,
                if on_stack {
                    SS_ONSTACK
                } else {
                    s.flags & !SS_ONSTACK
                },
                s.size,
            ),
            None => (0, SS_DISABLE, 0),
        };
        let mut f = abi::Fields::<{ abi::STACK_T_SIZE }>::new();
        f.u64(0, ssp).u32(8, flags as u32).u64(16, size);
        p.mem.write_bytes(a[1], &f.0)?;
    }
    if let Some(ss) = new {
        if on_stack {
            return Err(EPERM);
        }
        if (ss.flags as u32 & !SS_AUTODISARM) as i32 == SS_DISABLE {
            p.sys.altstack = None;
        } else {
            if ss.size < MINSIGSTKSZ {
                return Err(ENOMEM);
            }
            p.sys.altstack = Some(ss);
        }
    }
    Ok(0)
}

/// riscv_hwprobe(pairs, pair_count, cpusetsize, cpus, flags): reports the base behaviour
/// (IMA) and the F, D, C, Zba, Zbb and Zbs extensions; unknown keys get key -1, as the kernel does.
pub fn riscv_hwprobe(p: &mut Process, a: &Args) -> SysResult {
    const KEY_MVENDORID: i64 = 0;
    const KEY_MARCHID: i64 = 1;
    const KEY_MIMPID: i64 = 2;
    const KEY_BASE_BEHAVIOR: i64 = 3;
    const BASE_BEHAVIOR_IMA: u64 = 1;
    const KEY_IMA_EXT_0: i64 = 4;
    const IMA_FD: u64 = 1;
    const IMA_C: u64 = 2;
    const EXT_ZBA: u64 = 1 << 3;
    const EXT_ZBB: u64 = 1 << 4;
    const EXT_ZBS: u64 = 1 << 5;
    const KEY_CPUPERF_0: i64 = 5;
    const MISALIGNED_UNKNOWN: u64 = 0;
    let (pairs, count, flags) = (a[0], a[1], a[4]);
    if flags != 0 {
        return Err(EINVAL);
    }
    if count > 1 << 16 {
        return Err(EINVAL);
    }
    for i in 0..count {
        let at = pairs + i * 16;
        let key = p.mem.read_u64(at)? as i64;
        let (key, value) = match key {
            KEY_MVENDORID | KEY_MARCHID | KEY_MIMPID => (key, 0),
            KEY_BASE_BEHAVIOR => (key, BASE_BEHAVIOR_IMA),
            KEY_IMA_EXT_0 => (key, IMA_FD | IMA_C | EXT_ZBA | EXT_ZBB | EXT_ZBS),
            KEY_CPUPERF_0 => (key, MISALIGNED_UNKNOWN),
            _ => (-1, 0),
        };
        p.mem.write_u64(at, key as u64)?;
        p.mem.write_u64(at + 8, value)?;
    }
    Ok(0)
}
