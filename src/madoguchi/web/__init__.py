"""Browser assets: page shells (``pages/``), ES modules, CSS and i18n catalogs (``static/``)."""
