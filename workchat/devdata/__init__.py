"""Data for development and benchmarks (not the write path): the bulk corpus seeder."""
