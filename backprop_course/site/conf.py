"""Sphinx configuration of the course site (issue 23), used by ``backprop-course site``.

The sources are a folder that :func:`backprop_course.site.build_site` lays out (stored,
executed lectures, exercise statements, ERRATA.md and a home page); nothing is executed here
and nothing is loaded from another host when a page is read: MathJax is served from the site
(sphinx-mathjax-offline), myst-nb's ipywidgets scripts (a CDN) are switched off, and each
explorer is the kernel-free ``text/html`` its widget stored beside the live view.
"""

project = "backprop-course"
author = "backprop-course contributors"
copyright = "backprop-course contributors, MIT licence"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"

# the lectures are stored executed: show their outputs as they are
nb_execution_mode = "off"
# no require.js or widget manager from a CDN: every widget also stored a kernel-free text/html
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "text/html", 0),
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "backprop-course: how neural networks are trained"
html_static_path = ["static"]  # beside this file
html_css_files = ["course.css"]
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
