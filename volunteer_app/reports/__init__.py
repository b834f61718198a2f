"""数字驾驶舱: figures computed from the other domains' records; no tables of its own."""
