//! The flattened device tree of the system-mode machine, describing QEMU 7.2's `virt` board as
//! far as xlate implements it (Devicetree Specification v0.4; bindings: riscv/cpus.yaml,
//! sifive,plic-1.0.0, sifive,clint0, ns16550a, virtio/mmio.yaml, syscon-poweroff/-reboot), written
//! with `vm-fdt`.

use vm_fdt::{Error as FdtError, FdtWriter};

use super::bus::TIMEBASE_HZ;
use crate::devices::{
    CLINT_BASE, CLINT_SIZE, PLIC_BASE, PLIC_SIZE, TEST_BASE, TEST_SIZE, UART0_BASE, UART0_IRQ,
    UART0_SIZE, VIRTIO_BASE, VIRTIO_COUNT, VIRTIO_IRQ, VIRTIO_SIZE,
};

const PH_CPU0: u32 = 1;
const PH_INTC0: u32 = 2;
const PH_PLIC: u32 = 3;
const PH_TEST: u32 = 4;

/// The ISA string in the device tree (what the hart implements).
pub const RISCV_ISA: &str = "rv64imafdc_zicsr_zifencei_zba_zbb_zbs_sstc";

/// What the device tree describes.
#[derive(Clone, Debug, Default)]
pub struct FdtParams {
    pub ram_base: u64,
    pub ram_size: u64,
    pub bootargs: Option<String>,
    /// Physical start and end of the initial ramdisk.
    pub initrd: Option<(u64, u64)>,
    /// "riscv,sv39" or "riscv,sv48".
    pub mmu_type: &'static str,
}

fn reg(base: u64, size: u64) -> [u64; 2] {
    [base, size]
}

/// Builds the device tree blob.
pub fn build(p: &FdtParams) -> Result<Vec<u8>, FdtError> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "riscv-virtio")?;
    f.property_string("model", "riscv-virtio,qemu")?;

    let chosen = f.begin_node("chosen")?;
    if let Some(args) = &p.bootargs {
        f.property_string("bootargs", args)?;
    }
    f.property_string("stdout-path", &format!("/soc/serial@{UART0_BASE:x}"))?;
    if let Some((start, end)) = p.initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(chosen)?;

    let mem = f.begin_node(&format!("memory@{:x}", p.ram_base))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &reg(p.ram_base, p.ram_size))?;
    f.end_node(mem)?;

    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", TIMEBASE_HZ as u32)?;
    let cpu = f.begin_node("cpu@0")?;
    f.property_phandle(PH_CPU0)?;
    f.property_string("device_type", "cpu")?;
    f.property_u32("reg", 0)?;
    f.property_string("status", "okay")?;
    f.property_string("compatible", "riscv")?;
    f.property_string("riscv,isa", RISCV_ISA)?;
    f.property_string("mmu-type", p.mmu_type)?;
    let intc = f.begin_node("interrupt-controller")?;
    f.property_u32("#interrupt-cells", 1)?;
    f.property_null("interrupt-controller")?;
    f.property_string("compatible", "riscv,cpu-intc")?;
    f.property_phandle(PH_INTC0)?;
    f.end_node(intc)?;
    f.end_node(cpu)?;
    let map = f.begin_node("cpu-map")?;
    let cluster = f.begin_node("cluster0")?;
    let core = f.begin_node("core0")?;
    f.property_u32("cpu", PH_CPU0)?;
    f.end_node(core)?;
    f.end_node(cluster)?;
    f.end_node(map)?;
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    let test = f.begin_node(&format!("test@{TEST_BASE:x}"))?;
    f.property_phandle(PH_TEST)?;
    f.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    f.property_array_u64("reg", &reg(TEST_BASE, TEST_SIZE))?;
    f.end_node(test)?;

    let uart = f.begin_node(&format!("serial@{UART0_BASE:x}"))?;
    f.property_u32("interrupts", UART0_IRQ as u32)?;
    f.property_u32("interrupt-parent", PH_PLIC)?;
    f.property_u32("clock-frequency", 0x38_4000)?;
    f.property_array_u64("reg", &reg(UART0_BASE, UART0_SIZE))?;
    f.property_string("compatible", "ns16550a")?;
    f.end_node(uart)?;

    // As QEMU: every virtio-mmio slot, used or not (an empty one answers device ID 0).
    for i in 0..VIRTIO_COUNT {
        let base = VIRTIO_BASE + i as u64 * VIRTIO_SIZE;
        let node = f.begin_node(&format!("virtio_mmio@{base:x}"))?;
        f.property_u32("interrupts", (VIRTIO_IRQ + i) as u32)?;
        f.property_u32("interrupt-parent", PH_PLIC)?;
        f.property_array_u64("reg", &reg(base, VIRTIO_SIZE))?;
        f.property_string("compatible", "virtio,mmio")?;
        f.end_node(node)?;
    }

    let poweroff = f.begin_node("poweroff")?;
    f.property_u32("value", 0x5555)?;
    f.property_u32("offset", 0)?;
    f.property_u32("regmap", PH_TEST)?;
    f.property_string("compatible", "syscon-poweroff")?;
    f.end_node(poweroff)?;

    let reboot = f.begin_node("reboot")?;
    f.property_u32("value", 0x7777)?;
    f.property_u32("offset", 0)?;
    f.property_u32("regmap", PH_TEST)?;
    f.property_string("compatible", "syscon-reboot")?;
    f.end_node(reboot)?;

    let plic = f.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    f.property_phandle(PH_PLIC)?;
    f.property_u32("riscv,ndev", (crate::devices::plic::SOURCES - 1) as u32)?;
    f.property_array_u64("reg", &reg(PLIC_BASE, PLIC_SIZE))?;
    // Context 0: M-mode external interrupt (11), context 1: S-mode (9).
    f.property_array_u32("interrupts-extended", &[PH_INTC0, 11, PH_INTC0, 9])?;
    f.property_null("interrupt-controller")?;
    f.property_string_list(
        "compatible",
        vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()],
    )?;
    f.property_u32("#address-cells", 0)?;
    f.property_u32("#interrupt-cells", 1)?;
    f.end_node(plic)?;

    let clint = f.begin_node(&format!("clint@{CLINT_BASE:x}"))?;
    // Machine software (3) and machine timer (7) interrupts.
    f.property_array_u32("interrupts-extended", &[PH_INTC0, 3, PH_INTC0, 7])?;
    f.property_array_u64("reg", &reg(CLINT_BASE, CLINT_SIZE))?;
    f.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    f.end_node(clint)?;

    f.end_node(soc)?;
    f.end_node(root)?;
    f.finish()
}

/// Checks that `blob` looks like a flattened device tree (magic, version, sizes).
pub fn validate(blob: &[u8]) -> Result<(), String> {
    let be32 = |off: usize| -> Option<u32> {
        Some(u32::from_be_bytes(blob.get(off..off + 4)?.try_into().ok()?))
    };
    let magic = be32(0).ok_or("too short for a device tree header")?;
    if magic != 0xd00d_feed {
        return Err("bad device tree magic".into());
    }
    let total = be32(4).ok_or("truncated header")? as usize;
    if total > blob.len() || total < 40 {
        return Err(format!(
            "device tree totalsize {total} does not match the file ({} bytes)",
            blob.len()
        ));
    }
    let version = be32(20).ok_or("truncated header")?;
    let last_comp = be32(24).ok_or("truncated header")?;
    if version < 16 && last_comp > 16 {
        return Err(format!("unsupported device tree version {version}"));
    }
    Ok(())
}
