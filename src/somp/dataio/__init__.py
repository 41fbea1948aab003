"""Import and export of kernel entities as CSV and Excel (``somp import`` / ``somp export``)."""
