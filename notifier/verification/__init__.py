"""The public page that tells a patient whether a letter is genuine (`/verifier`, `/verify`): no login, no session,
no personal data in the answer; counted per breach and day without the caller's address (docs/public-page.md)."""
