mod probe;

fn main() {
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rustc-env=TK_SYS_PROBE={}", probe::probe());
}
