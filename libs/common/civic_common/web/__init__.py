"""Server-rendered pages: a shared Dutch layout, form macros, cookie sign-in and error pages."""
