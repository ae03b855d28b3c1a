# Sourced by the t_8x tests that rerun a project-kernel test on Debian's stock kernel:
# run_on_stock TEST runs the test TEST (t_40_vsock.sh, ...) from $PAYLOAD/all with a
# guest directory in which bzImage is the stock kernel and both test initramfs names are
# the one with the stock kernel's modules (guest/initramfs/build.sh --tools --modules),
# so the devices reach the kernel through ACPI only.
run_on_stock() {
  stock_initrd=$GUEST_DIR/initramfs-stock.cpio.gz
  require_file "$STOCK" "$stock_initrd" "$PAYLOAD/all/$1" || finish
  g=$TEST_TMP/stock-guest
  mkdir -p "$g"
  ln -sf "$STOCK" "$g/$(basename "$KERNEL")" # bzImage, or Image on aarch64
  ln -sf "$stock_initrd" "$g/initramfs.cpio.gz"
  ln -sf "$stock_initrd" "$g/initramfs-tools.cpio.gz"
  GUEST_DIR=$g exec sh "$PAYLOAD/all/$1"
}
