//! HTIF, the host-target interface of Spike and the riscv-tests environment: the `tohost` and
//! `fromhost` words in RAM (riscv-tests `env/`, riscv-pk `machine/htif.c`; no ratified spec).
//!
//! A command is `device << 56 | command << 48 | payload`. Device 0 command 0 with an odd payload
//! ends the run with exit code `payload >> 1` (0: pass; otherwise the number of the failed case);
//! with an even payload it is the syscall proxy (a pointer to `magic_mem`: which, arg0, arg1...).
//! Device 1 command 1 writes the character in the payload to the console. The host acts when a
//! store completes the 64-bit `tohost` word, then clears `tohost` and answers in `fromhost`
//! (1 after a syscall, as riscv-pk's `do_tohost_fromhost` waits for).

use std::io::Write;

/// Syscall numbers of the proxy (the Linux riscv64 numbers, as riscv-pk forwards them).
pub const SYS_WRITE: u64 = 64;
pub const SYS_EXIT: u64 = 93;
/// `-ENOSYS`, the proxy's answer to a syscall it does not implement.
const ENOSYS: u64 = (-38i64) as u64;
/// Longest single write the proxy copies (a guest cannot make the host allocate more).
const MAX_WRITE: u64 = 1 << 20;

/// HTIF state: where the words are, what the guest wrote to the console, and how it ended.
#[derive(Debug, Default)]
pub struct Htif {
    /// Physical address of `tohost` (from the ELF symbol), if the program has one.
    pub tohost: Option<u64>,
    /// Physical address of `fromhost`, if the program has one.
    pub fromhost: Option<u64>,
    /// Exit code once the guest ended the run (0 = pass).
    pub exit: Option<u64>,
    /// Everything written to the console (putchar and SYS_write to fds 1 and 2).
    pub console: Vec<u8>,
    /// Also copy console output to the host's stdout as it arrives (`xlate run --bare`).
    pub echo: bool,
}

/// What the bus must do in RAM after a command: memory reads and writes of the syscall proxy go
/// through this interface (the HTIF device sees physical memory).
pub trait HostMem {
    fn read_u64(&self, pa: u64) -> Option<u64>;
    fn write_u64(&mut self, pa: u64, v: u64) -> Option<()>;
    fn read_bytes(&self, pa: u64, len: u64) -> Option<&[u8]>;
}

impl Htif {
    /// Whether a store of `len` bytes at `pa` completes the `tohost` word (its last byte is the
    /// word's last byte or beyond, and it touches the word).
    #[inline(always)]
    pub fn completes_tohost(&self, pa: u64, len: u64) -> bool {
        match self.tohost {
            Some(t) => pa < t.wrapping_add(8) && pa.wrapping_add(len) >= t.wrapping_add(8),
            None => false,
        }
    }

    /// Acts on the command now in `tohost`.
    pub fn command(&mut self, mem: &mut dyn HostMem) {
        let Some(tohost) = self.tohost else { return };
        let Some(v) = mem.read_u64(tohost) else {
            return;
        };
        if v == 0 {
            return;
        }
        let (dev, cmd, payload) = (v >> 56, (v >> 48) & 0xff, v & 0xffff_ffff_ffff);
        let response = match (dev, cmd) {
            (0, 0) if payload & 1 == 1 => {
                self.exit.get_or_insert(payload >> 1);
                None
            }
            (0, 0) => {
                let ret = self.syscall(mem, payload);
                // The proxy's result goes back into magic_mem[0].
                let _ = mem.write_u64(payload, ret);
                Some(1)
            }
            (1, 1) => {
                self.put(&[payload as u8]);
                Some(v >> 48 << 48 | 0x100 | (payload & 0xff))
            }
            _ => None,
        };
        let _ = mem.write_u64(tohost, 0);
        if let (Some(r), Some(fh)) = (response, self.fromhost) {
            let _ = mem.write_u64(fh, r);
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        self.console.extend_from_slice(bytes);
        if self.echo {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        }
    }

    /// The syscall proxy: `magic_mem` at `at` holds which, arg0, arg1, arg2.
    fn syscall(&mut self, mem: &mut dyn HostMem, at: u64) -> u64 {
        let arg = |i: u64| mem.read_u64(at.wrapping_add(8 * i)).unwrap_or(0);
        let (which, a0, a1, a2) = (arg(0), arg(1), arg(2), arg(3));
        match which {
            SYS_WRITE if a0 == 1 || a0 == 2 => {
                let len = a2.min(MAX_WRITE);
                match mem.read_bytes(a1, len).map(<[u8]>::to_vec) {
                    Some(b) => {
                        self.put(&b);
                        len
                    }
                    None => (-14i64) as u64, // -EFAULT
                }
            }
            SYS_EXIT => {
                self.exit.get_or_insert(a0);
                0
            }
            _ => ENOSYS,
        }
    }
}
