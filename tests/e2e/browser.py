"""What the browser tests do the same way on every page: sign in as a user of the journey."""

from playwright.sync_api import Page, expect


def log_in(page: Page, base: str, email: str, password: str) -> None:
    """Through the sign-in page, as a person would; done when the dashboard shows."""
    page.goto(f"{base}/login")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Violations en cours")).to_be_visible()
