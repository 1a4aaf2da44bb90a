fn main() {
    let t = std::time::Instant::now();
    confidant_deid::warm_up();
    eprintln!("warm_up {:?}", t.elapsed());
}
