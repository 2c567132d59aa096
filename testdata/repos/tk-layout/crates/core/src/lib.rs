pub use tk_macros::main;

pub fn format(n: u32) -> String {
    itoa::Buffer::new().format(n).to_owned()
}
