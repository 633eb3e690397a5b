//! `mnist-tui data fetch | verify`: download from mirrors, check SHA-256, atomic writes.
