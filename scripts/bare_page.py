"""The baseline for benchmarks: the smallest Streamlit page, measured beside the app in the same run."""

import streamlit as st

st.title("Bare page")
st.write("Nothing else.")
