"""The buying side: the company's own SaaS tools, seats, usage and spend (BRIEF §11)."""
