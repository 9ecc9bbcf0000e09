"""What the services that render PDFs share: DejaVu Sans (names beyond Latin-1: Çağdaş, €),
regular and bold, registered with fpdf2 as ``FONT``."""

from pathlib import Path

FONTS = Path(__file__).parent / "pdf_fonts"
FONT = "DejaVu"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"
