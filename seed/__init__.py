"""The Nimbus Notes demo company: data (staff, named accounts, deals, a generated crowd) and
their stories, replayed through the product's write path (`seed_demo` in `seed/demo.py`)."""
