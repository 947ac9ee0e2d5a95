"""Chat settings (R-SET-1…6): ON/OFF, hours in Korea time, the automatic messages they
decide."""
