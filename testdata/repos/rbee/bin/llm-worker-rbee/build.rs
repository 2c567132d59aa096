use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("label.rs");
    let label = build_info::label();
    fs::write(out, format!("pub const LABEL: &str = {label:?};\n")).expect("write label.rs");
}
