"""The composition layer's thin place: pages and set-ups made of several apps.

The apps below never import this package; it imports them and wires their hooks (what a
new clinic is given, the person page's sections, the demo) when Django starts.
"""
