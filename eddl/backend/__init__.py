"""Computing backends; layers reach them only through eddl.ops."""
