"""The hotline desk: one patient found by letter reference or by last name + birth date, the call script approved
by legal (four eyes), the calls logged by reason (docs/hotline.md)."""
