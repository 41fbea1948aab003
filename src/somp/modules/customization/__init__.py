"""Customised services and C2M (framework node 3.2) with product-service combination design (2.1.2):
the offering configurator. Not registered as a module yet (no manifest): this session holds the pure
engines only (:mod:`.offering`, :mod:`.configurator`)."""
