"""Flow Guide from a checkout: ``streamlit run app.py`` runs the packaged navigation (flowguide/streamlit_app.py)."""

from flowguide.streamlit_app import main

main()
