"""Print documents: one renderer (render), the patient letter (letter), the fast lot writer (stamping)."""
