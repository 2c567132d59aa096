use proc_macro::TokenStream;

/// Leaves the item as it is.
#[proc_macro_attribute]
pub fn main(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
