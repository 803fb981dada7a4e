import streamlit as st

st.title("guide")
st.write(dict(st.query_params))
