fn main() {
    println!("mnist-tui");
}
