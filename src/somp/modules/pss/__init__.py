"""Product-service systems: requirements engineering (framework node 2.1.1: Kano analysis, QFD house
of quality) and product-service combination design and pricing (2.1.2). Not registered as a module
yet (no manifest): this session holds the pure engines only (:mod:`.kano`, :mod:`.qfd`,
:mod:`.pricing`)."""
