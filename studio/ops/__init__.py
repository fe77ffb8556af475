"""Operations: the development supervisor (`manage.py runstack`) and /healthz."""
