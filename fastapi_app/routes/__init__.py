"""The HTTP surface of the port, one module per resource."""
