"""What several test modules share (no test module imports another): fact builders, engines, fast settings, console drivers."""
